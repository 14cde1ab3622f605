package org.fundus4j.cli;

import java.io.PrintStream;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.fundus4j.dicom.net.AeTitle;
import org.fundus4j.dicom.net.DicomQuery;
import org.fundus4j.dicom.net.DicomWebAuth;
import org.fundus4j.dicom.net.DicomWebClient;
import org.fundus4j.dicom.net.PacsAddress;
import org.fundus4j.dicom.net.PacsClient;
import org.fundus4j.dicom.net.PacsException;
import org.fundus4j.dicom.net.ProgressListener;
import org.fundus4j.dicom.net.QueryLevel;
import org.fundus4j.dicom.net.QueryMatch;
import org.fundus4j.dicom.net.StoreSummary;
import org.fundus4j.dicom.store.LocalStore;
import org.fundus4j.dicom.store.PullSummary;
import org.fundus4j.dicom.store.RetrieveMethod;
import org.fundus4j.dicom.store.StudyPuller;
import org.fundus4j.screening.BatchScreening;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fundus pacs echo|find|pull|push}: talks to a PACS by DIMSE ({@code --pacs AE@host:port}) or
 * DICOMweb ({@code --dicomweb URL}).
 *
 * <p>Output names studies, series and instances by UID, with dates, modalities and counts; it never
 * prints patient names or IDs (a Patient ID may be given as a filter, it is not echoed back).
 * <pre>
 * fundus pacs echo --pacs ORTHANC@10.0.0.5:4242 --aet FUNDUS4J
 * fundus pacs find --pacs ORTHANC@10.0.0.5:4242 --modality OP --study-date 20240101-20241231
 * fundus pacs pull --pacs ORTHANC@10.0.0.5:4242 --study 1.2.3 --method c-get --store /data/pull
 * fundus pacs push --dicomweb https://pacs/dicom-web/ --token $TOKEN sr/
 * </pre>
 */
@Command(name = "pacs", mixinStandardHelpOptions = true,
    description = {"Talks to a PACS by DIMSE (--pacs AE@host:port, calling as --aet) or DICOMweb (--dicomweb URL).",
        "Output shows UIDs, dates, modalities and counts, never patient names or IDs."},
    subcommands = {PacsCommand.Echo.class, PacsCommand.Find.class, PacsCommand.Pull.class, PacsCommand.Push.class})
final class PacsCommand implements Runnable {

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** The DIMSE peer: {@code --pacs}, {@code --aet}. */
  static final class Dimse {
    @Option(names = "--pacs", required = true, paramLabel = "AE@HOST:PORT",
        description = "The PACS by DIMSE, e.g. ORTHANC@10.0.0.5:4242")
    String pacs;

    @Option(names = "--aet", defaultValue = "FUNDUS4J", paramLabel = "AE",
        description = "Our (calling) AE title, as registered in the PACS (default: ${DEFAULT-VALUE})")
    String aet;

    @ArgGroup(exclusive = false, multiplicity = "0..1", heading = "DICOM TLS:%n")
    TlsOptions tls;
  }

  /** The DICOMweb peer: {@code --dicomweb} with basic auth or a bearer token. */
  static final class Web {
    @Option(names = "--dicomweb", required = true, paramLabel = "URL",
        description = "DICOMweb root instead of DIMSE, e.g. https://pacs/dicom-web/")
    URI root;

    @Option(names = "--user", description = "DICOMweb basic-auth user (with --password)")
    String user;

    @Option(names = "--password", arity = "0..1", interactive = true,
        description = "DICOMweb basic-auth password; without a value it is asked for on the console")
    char[] password;

    @Option(names = "--token", description = "DICOMweb bearer token (or set FUNDUS4J_DICOMWEB_TOKEN)",
        defaultValue = "${env:FUNDUS4J_DICOMWEB_TOKEN}")
    String token;

    DicomWebAuth auth() {
      if (user != null && token != null && !token.isEmpty()) {
        throw new IllegalArgumentException("Give either --user/--password or --token for " + root + ", not both");
      }
      if (user != null) {
        if (password == null) {
          throw new IllegalArgumentException("--user " + user + " needs --password for " + root);
        }
        return DicomWebAuth.basic(user, new String(password));
      }
      if (password != null) {
        throw new IllegalArgumentException("--password needs --user for " + root);
      }
      return token == null || token.isEmpty() ? DicomWebAuth.none() : DicomWebAuth.bearer(token);
    }
  }

  /** Exactly one of DIMSE and DICOMweb, plus the timeout. */
  static final class Peer {
    @ArgGroup(exclusive = false, multiplicity = "0..1", heading = "DIMSE:%n")
    Dimse dimse;

    @ArgGroup(exclusive = false, multiplicity = "0..1", heading = "DICOMweb:%n")
    Web web;

    void check(String operation) {
      if ((dimse == null) == (web == null)) {
        throw new IllegalArgumentException(operation + " needs exactly one of --pacs AE@host:port and --dicomweb URL");
      }
    }

    PacsClient dimseClient(Duration timeout) {
      PacsClient client = new PacsClient(PacsAddress.parse(dimse.pacs), AeTitle.of(dimse.aet)).withTimeout(timeout);
      return dimse.tls == null ? client : client.withTls(TlsOptions.settings(dimse.tls));
    }

    DicomWebClient webClient(Duration timeout) {
      return new DicomWebClient(web.root, web.auth()).withTimeout(timeout);
    }
  }

  /** Options shared by every subcommand. */
  static final class Common {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Peer peer;

    @Option(names = "--timeout", defaultValue = "30", paramLabel = "SECONDS",
        description = "Give up when the peer has been silent this long (default: ${DEFAULT-VALUE})")
    long timeoutSeconds;

    Duration timeout() {
      if (timeoutSeconds <= 0) {
        throw new IllegalArgumentException("--timeout must be a positive number of seconds, got " + timeoutSeconds);
      }
      return Duration.ofSeconds(timeoutSeconds);
    }
  }

  /** {@code fundus pacs echo}: C-ECHO. */
  @Command(name = "echo", mixinStandardHelpOptions = true,
      description = "C-ECHO: checks that the PACS accepts an association from our AE title.")
  static final class Echo implements Callable<Integer> {
    @Mixin
    Common common = new Common();

    @Override
    public Integer call() throws PacsException {
      common.peer.check("pacs echo");
      if (common.peer.dimse == null) {
        throw new IllegalArgumentException("pacs echo is a DIMSE C-ECHO: give --pacs AE@host:port");
      }
      try (PacsClient pacs = common.peer.dimseClient(common.timeout())) {
        Duration took = pacs.echo();
        System.out.printf(Locale.ROOT, "C-ECHO %s as %s: success in %d ms%n", pacs.pacs(), pacs.localAe(),
            took.toMillis());
      }
      return 0;
    }
  }

  /** {@code fundus pacs find}: C-FIND or QIDO-RS. */
  @Command(name = "find", mixinStandardHelpOptions = true,
      description = {"C-FIND (or QIDO-RS with --dicomweb) at study, series or image level.",
          "Prints one line per match: level, UID(s), study date, modality, laterality, SOP class, instances."})
  static final class Find implements Callable<Integer> {
    @Mixin
    Common common = new Common();

    @Option(names = "--level", defaultValue = "study", paramLabel = "study|series|image",
        description = "Query level (default: ${DEFAULT-VALUE}); series needs --study, image needs --study and --series")
    String level;

    @Option(names = "--study", paramLabel = "UID", description = "Study Instance UID")
    String study;

    @Option(names = "--series", paramLabel = "UID", description = "Series Instance UID (image level)")
    String series;

    @Option(names = "--patient-id", paramLabel = "ID", description = "Exact Patient ID (not printed)")
    String patientId;

    @Option(names = "--study-date", paramLabel = "FROM-TO",
        description = "Study dates YYYYMMDD-YYYYMMDD, both included; one end may be left open (20240101-) or a"
            + " single date given")
    String studyDate;

    @Option(names = "--modality", split = ",", paramLabel = "OP,XC,SC",
        description = "Any of these modalities (study and series level)")
    List<String> modalities;

    @Option(names = "--sop-class", paramLabel = "UID", description = "SOP Class UID (image level)")
    String sopClass;

    @Option(names = "--laterality", paramLabel = "R|L|B", description = "Laterality (series and image level)")
    String laterality;

    @Override
    public Integer call() throws PacsException {
      common.peer.check("pacs find");
      DicomQuery query = query();
      List<QueryMatch> matches;
      if (common.peer.dimse != null) {
        try (PacsClient pacs = common.peer.dimseClient(common.timeout())) {
          matches = pacs.find(query);
        }
      } else {
        try (DicomWebClient web = common.peer.webClient(common.timeout())) {
          matches = web.search(query);
        }
      }
      for (QueryMatch m : matches) {
        System.out.println(describe(m));
      }
      System.out.printf(Locale.ROOT, "%d %s match(es)%n", matches.size(), query.level().name().toLowerCase(Locale.ROOT));
      return 0;
    }

    DicomQuery query() {
      QueryLevel lvl = switch (level.toLowerCase(Locale.ROOT)) {
        case "study" -> QueryLevel.STUDY;
        case "series" -> QueryLevel.SERIES;
        case "image", "instance" -> QueryLevel.IMAGE;
        default -> throw new IllegalArgumentException("--level must be study, series or image, got '" + level + "'");
      };
      DicomQuery q = switch (lvl) {
        case STUDY -> DicomQuery.studies();
        case SERIES -> DicomQuery.series(require(study, "--study", "series"));
        case IMAGE -> DicomQuery.images(require(study, "--study", "image"), require(series, "--series", "image"));
      };
      if (lvl == QueryLevel.STUDY && study != null) {
        q = q.withStudyInstanceUid(study);
      }
      if (patientId != null) {
        q = q.withPatientId(patientId);
      }
      if (studyDate != null) {
        LocalDate[] range = parseDateRange(studyDate);
        q = q.withStudyDates(range[0], range[1]);
      }
      if (modalities != null && !modalities.isEmpty()) {
        Set<String> upper = new LinkedHashSet<>();
        modalities.forEach(m -> upper.add(m.strip().toUpperCase(Locale.ROOT)));
        q = q.withModalities(upper);
      }
      if (sopClass != null) {
        q = q.withSopClassUid(sopClass);
      }
      if (laterality != null) {
        q = q.withLaterality(laterality.toUpperCase(Locale.ROOT));
      }
      return q;
    }

    private static String require(String value, String option, String level) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException("--level " + level + " needs " + option + " UID");
      }
      return value;
    }
  }

  /** One line per match, without Patient ID or name. */
  static String describe(QueryMatch m) {
    StringBuilder b = new StringBuilder();
    switch (m.level()) {
      case STUDY -> b.append("STUDY  ").append(m.studyInstanceUid());
      case SERIES -> b.append("SERIES ").append(m.seriesInstanceUid()).append(" study=").append(m.studyInstanceUid());
      case IMAGE -> b.append("IMAGE  ").append(m.sopInstanceUid()).append(" series=").append(m.seriesInstanceUid());
    }
    if (!m.studyDate().isEmpty()) {
      b.append(" date=").append(m.studyDate());
    }
    if (!m.modalities().isEmpty()) {
      b.append(" modality=").append(String.join(",", m.modalities()));
    }
    if (!m.laterality().isEmpty()) {
      b.append(" laterality=").append(m.laterality());
    }
    if (!m.sopClassUid().isEmpty()) {
      b.append(" sop-class=").append(m.sopClassUid());
    }
    if (m.numberOfInstances() >= 0) {
      b.append(" instances=").append(m.numberOfInstances());
    }
    return b.toString();
  }

  /** Parses {@code YYYYMMDD-YYYYMMDD}, {@code YYYYMMDD-}, {@code -YYYYMMDD} or {@code YYYYMMDD}; nulls for open ends. */
  static LocalDate[] parseDateRange(String text) {
    String t = text.strip();
    int dash = t.indexOf('-');
    String from = dash < 0 ? t : t.substring(0, dash);
    String to = dash < 0 ? t : t.substring(dash + 1);
    if (from.isEmpty() && to.isEmpty()) {
      throw new IllegalArgumentException("--study-date needs at least one date (YYYYMMDD-YYYYMMDD), got '" + text + "'");
    }
    return new LocalDate[] {date(from, text), date(to, text)};
  }

  private static LocalDate date(String s, String whole) {
    if (s.isEmpty()) {
      return null;
    }
    try {
      return LocalDate.parse(s, DateTimeFormatter.BASIC_ISO_DATE);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("--study-date expects DICOM dates YYYYMMDD-YYYYMMDD, got '" + whole + "'", e);
    }
  }

  /** {@code fundus pacs pull}: resumable pull of studies into a local store. */
  @Command(name = "pull", mixinStandardHelpOptions = true,
      description = {"Pulls studies into a local store (files named from UIDs + manifest.tsv). Resumable: an "
          + "interrupted pull completes when run again, fetching only what is not on disk.",
          "Exits 1 when an instance is still missing (the manifest records it FAILED with the reason)."})
  static final class Pull implements Callable<Integer> {
    @Mixin
    Common common = new Common();

    @Option(names = "--study", required = true, arity = "1..*", paramLabel = "UID", description = "Study Instance UIDs")
    List<String> studies;

    @Mixin
    Retrieval retrieval = new Retrieval();

    @Option(names = "--store", required = true, paramLabel = "DIR", description = "Local store folder")
    Path store;

    @Override
    public Integer call() throws Exception {
      common.peer.check("pacs pull");
      RetrieveMethod how = retrieval.method(common.peer);
      Files.createDirectories(store);
      List<PullSummary> summaries = new ArrayList<>();
      try (LocalStore local = LocalStore.open(store)) {
        if (how == RetrieveMethod.WADO_RS) {
          try (DicomWebClient web = common.peer.webClient(common.timeout())) {
            StudyPuller puller = new StudyPuller(local, web);
            for (String study : studies) {
              summaries.add(pullOne(puller, study));
            }
          }
        } else {
          try (PacsClient pacs = retrieval.receiving(common.peer.dimseClient(common.timeout()))) {
            StudyPuller puller = new StudyPuller(local, pacs, how);
            for (String study : studies) {
              summaries.add(pullOne(puller, study));
            }
          }
        }
      }
      int found = 0;
      int onDisk = 0;
      int retrieved = 0;
      int duplicates = 0;
      int failed = 0;
      for (PullSummary s : summaries) {
        found += s.found();
        onDisk += s.alreadyOnDisk();
        retrieved += s.retrieved();
        duplicates += s.duplicates();
        failed += s.failed();
      }
      System.out.printf(Locale.ROOT, "%d study(ies) by %s into %s: found %d, already on disk %d, retrieved %d,"
          + " duplicates %d, failed %d%n", summaries.size(), retrieval.method, store, found, onDisk, retrieved, duplicates, failed);
      List<String> notFound = summaries.stream().filter(s -> s.found() == 0).map(PullSummary::studyInstanceUid)
          .toList();
      for (String study : notFound) {
        System.err.println("pacs pull: study " + study + " not found: the PACS lists no instances for it");
      }
      return failed == 0 && notFound.isEmpty() ? 0 : 1;
    }

    private static PullSummary pullOne(StudyPuller puller, String study) throws PacsException {
      PullSummary s;
      try (LazyBar bar = new LazyBar("pull " + shortUid(study), System.err)) {
        s = puller.pull(study, bar);
      }
      System.out.printf(Locale.ROOT, "study %s: found %d, already on disk %d, retrieved %d, duplicates %d, failed %d"
          + " (%d ms)%n", study, s.found(), s.alreadyOnDisk(), s.retrieved(), s.duplicates(), s.failed(),
          s.took().toMillis());
      return s;
    }
  }

  /** {@code fundus pacs push}: C-STORE or STOW-RS of files and folders. */
  @Command(name = "push", mixinStandardHelpOptions = true,
      description = {"Sends DICOM files (folders walked recursively) by C-STORE, or STOW-RS with --dicomweb.",
          "Exits 1 when a file was not accepted."})
  static final class Push implements Callable<Integer> {
    @Mixin
    Common common = new Common();

    @Parameters(arity = "1..*", paramLabel = "FILE|DIR", description = "DICOM files or folders")
    List<Path> inputs;

    @Override
    public Integer call() throws Exception {
      common.peer.check("pacs push");
      List<Path> files = BatchScreening.expand(inputs);
      if (files.isEmpty()) {
        throw new IllegalArgumentException("No files under " + inputs);
      }
      StoreSummary summary;
      String how;
      try (LazyBar bar = new LazyBar("push", System.err)) {
        if (common.peer.dimse != null) {
          try (PacsClient pacs = common.peer.dimseClient(common.timeout())) {
            how = "C-STORE to " + pacs.pacs();
            summary = pacs.store(files, bar);
          }
        } else {
          try (DicomWebClient web = common.peer.webClient(common.timeout())) {
            how = "STOW-RS to " + web.root();
            summary = web.store(files, bar);
          }
        }
      }
      for (String failure : summary.failures()) {
        System.out.println("FAILED " + failure);
      }
      System.out.printf(Locale.ROOT, "%d file(s) by %s: stored %d, failed %d%n", files.size(), how, summary.stored(),
          summary.failed());
      return summary.failed() == 0 ? 0 : 1;
    }
  }

  /** How studies are fetched: {@code --method}, and for C-MOVE {@code --move-port} and {@code --move-bind}. */
  static final class Retrieval {
    @Option(names = "--method", defaultValue = "c-get", paramLabel = "c-get|c-move|wado-rs",
        description = "How to fetch (default: ${DEFAULT-VALUE}); wado-rs needs --dicomweb")
    String method;

    @Option(names = "--move-port", paramLabel = "N",
        description = "Port of our C-MOVE receiver (c-move); the PACS must know our AE title at this port")
    Integer movePort;

    @Option(names = "--move-bind", defaultValue = "0.0.0.0", paramLabel = "ADDRESS",
        description = "Address the C-MOVE receiver listens on (default: ${DEFAULT-VALUE})")
    String moveBind;

    /**
     * The retrieve method of {@code --method}, checked against the peer ({@code wado-rs} needs {@code --dicomweb},
     * the DIMSE methods {@code --pacs}) and {@code --move-port} (needed by {@code c-move} only).
     */
    RetrieveMethod method(Peer peer) {
      RetrieveMethod how = switch (method.toLowerCase(Locale.ROOT)) {
        case "c-get" -> RetrieveMethod.C_GET;
        case "c-move" -> RetrieveMethod.C_MOVE;
        case "wado-rs" -> RetrieveMethod.WADO_RS;
        default -> throw new IllegalArgumentException("--method must be c-get, c-move or wado-rs, got '" + method
            + "'");
      };
      if ((how == RetrieveMethod.WADO_RS) != (peer.web != null)) {
        throw new IllegalArgumentException(how == RetrieveMethod.WADO_RS
            ? "--method wado-rs needs --dicomweb URL" : "--method " + method + " is DIMSE: give --pacs AE@host:port");
      }
      if (how == RetrieveMethod.C_MOVE && movePort == null) {
        throw new IllegalArgumentException("--method c-move needs --move-port N: the port the PACS sends to"
            + " (registered with our AE title " + peer.dimse.aet + " in the PACS)");
      }
      if (how != RetrieveMethod.C_MOVE && movePort != null) {
        throw new IllegalArgumentException("--move-port is only for --method c-move");
      }
      return how;
    }

    /** {@code client} with our C-MOVE receiver when {@code --move-port} is given. */
    PacsClient receiving(PacsClient client) throws java.net.UnknownHostException {
      return movePort == null ? client : client.withMoveReceiver(InetAddress.getByName(moveBind), movePort);
    }
  }

  static String shortUid(String uid) {
    return uid.length() <= 24 ? uid : "..." + uid.substring(uid.length() - 20);
  }

  /**
   * A progress bar created at the first report, when the total is known (a pull learns it from the
   * listing); thread-safe because the network callbacks come from worker threads.
   */
  static final class LazyBar implements ProgressListener, AutoCloseable {
    private final String task;
    private final PrintStream out;
    private ProgressBar bar;

    LazyBar(String task, PrintStream out) {
      this.task = task;
      this.out = out;
    }

    @Override
    public synchronized void progress(long done, long total) {
      if (bar == null) {
        bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
            .setConsumer(new ConsoleProgressBarConsumer(out)).showSpeed().setUpdateIntervalMillis(500).build();
      }
      if (total != bar.getMax()) {
        bar.maxHint(total);
      }
      bar.stepTo(done);
    }

    @Override
    public synchronized void close() {
      if (bar != null) {
        bar.close();
      }
    }
  }
}
