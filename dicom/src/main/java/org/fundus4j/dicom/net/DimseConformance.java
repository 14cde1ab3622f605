package org.fundus4j.dicom.net;

import com.pixelmed.dicom.SOPClass;
import com.pixelmed.dicom.TransferSyntax;
import com.pixelmed.network.DicomNetworkException;
import com.pixelmed.network.PresentationContext;
import com.pixelmed.network.PresentationContextListFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.fundus4j.dicom.UidNames;
import org.fundus4j.dicom.sr.ScreeningReportWriter;

/**
 * The SOP classes and transfer syntaxes fundus4j's DIMSE code proposes and accepts, computed from the
 * code itself, for the DICOM Conformance Statement ({@code dicom/docs/conformance-statement.md},
 * PS3.2 Annex A); a test fails when the document's tables differ from {@link #tables()}.
 *
 * <p>Where PixelMed builds the presentation contexts, this class makes the same call: C-GET's and
 * C-STORE's proposals come from PixelMed's {@code PresentationContextListFactory} with the arguments
 * {@link PacsClient} and the node pass, and the storage SCP's acceptance comes from running
 * {@link StorageListener}'s selection policy on a proposal of every transfer syntax. C-ECHO, C-FIND and
 * C-MOVE propose {@link #QUERY_TRANSFER_SYNTAXES}, hard-wired in PixelMed's SCU classes (checked
 * against their bytecode, PixelMed 20220618).
 * <pre>{@code
 * System.out.println(DimseConformance.tables().get("scu-sop-classes"));
 * }</pre>
 */
public final class DimseConformance {

  /** Verification SOP class (C-ECHO). */
  public static final String VERIFICATION = SOPClass.Verification;

  /** Transfer syntaxes of C-ECHO, C-FIND and C-MOVE requests: Implicit then Explicit VR Little Endian. */
  public static final List<String> QUERY_TRANSFER_SYNTAXES = List.of(TransferSyntax.ImplicitVRLittleEndian,
      TransferSyntax.ExplicitVRLittleEndian);

  /** Query/retrieve SOP classes the PACS client uses as SCU, with the DIMSE service. */
  public static final Map<String, String> QUERY_RETRIEVE_SOP_CLASSES = Map.of(
      SOPClass.StudyRootQueryRetrieveInformationModelFind, "C-FIND",
      SOPClass.StudyRootQueryRetrieveInformationModelMove, "C-MOVE",
      SOPClass.StudyRootQueryRetrieveInformationModelGet, "C-GET");

  /** The transfer syntax the SR is written in and sent with. */
  public static final String SR_TRANSFER_SYNTAX = TransferSyntax.ExplicitVRLittleEndian;

  /** One row of a presentation-context table. */
  public record Row(String sopClassUid, String role, String service, List<String> transferSyntaxUids) {
    /** Copies the list. */
    public Row {
      transferSyntaxUids = List.copyOf(transferSyntaxUids);
    }
  }

  private DimseConformance() {
  }

  /** What the PACS client ({@code fundus pacs}) and the node's C-STORE of SRs propose, in that order. */
  public static List<Row> scuProposals() {
    List<Row> rows = new ArrayList<>();
    rows.add(new Row(VERIFICATION, "SCU", "C-ECHO", QUERY_TRANSFER_SYNTAXES));
    for (String uid : List.of(SOPClass.StudyRootQueryRetrieveInformationModelFind,
        SOPClass.StudyRootQueryRetrieveInformationModelMove)) {
      rows.add(new Row(uid, "SCU", QUERY_RETRIEVE_SOP_CLASSES.get(uid), QUERY_TRANSFER_SYNTAXES));
    }
    // C-GET: PixelMed's GetSOPClassSCU passes a HashSet of the Get SOP class and our storage SOP classes to
    // this factory (storage ones in the SCP role by role selection)
    Set<String> getSet = new java.util.HashSet<>();
    getSet.add(SOPClass.StudyRootQueryRetrieveInformationModelGet);
    getSet.addAll(PacsClient.FUNDUS_STORAGE_SOP_CLASSES);
    Map<String, Set<String>> get = proposals(getSet, PacsClient.PROPOSE_ALL_TRANSFER_SYNTAXES);
    rows.add(new Row(SOPClass.StudyRootQueryRetrieveInformationModelGet, "SCU", "C-GET",
        List.copyOf(get.get(SOPClass.StudyRootQueryRetrieveInformationModelGet))));
    for (String storage : PacsClient.FUNDUS_STORAGE_SOP_CLASSES) {
      rows.add(new Row(storage, "SCP (C-GET sub-operations)", "C-STORE", List.copyOf(get.get(storage))));
    }
    // C-STORE of SRs and of the Grad-CAM Secondary Captures sent with them (serve/screen --gradcam):
    // StorageSOPClassSCU with compression level 0 on Explicit VR LE files, one context list per SOP class
    try {
      for (String sopClass : List.of(ScreeningReportWriter.SOP_CLASS_UID,
          org.fundus4j.dicom.DerivedImageWriter.SOP_CLASS_UID)) {
        Map<String, Set<String>> store = bySopClass(PresentationContextListFactory.createNewPresentationContextList(
            sopClass, SR_TRANSFER_SYNTAX, 0));
        for (Map.Entry<String, Set<String>> e : store.entrySet()) {
          rows.add(new Row(e.getKey(), "SCU", "C-STORE", List.copyOf(e.getValue())));
        }
      }
    } catch (DicomNetworkException e) {
      throw new IllegalStateException("PixelMed cannot build the C-STORE proposal: " + e.getMessage(), e);
    }
    return rows;
  }

  /**
   * What the storage SCP (the node, and the C-MOVE receiver) accepts for Verification and the fundus
   * storage SOP classes, from a proposal of every transfer syntax PixelMed knows, one per context.
   */
  public static List<Row> scpAcceptance() {
    List<Row> rows = new ArrayList<>();
    List<String> sopClasses = new ArrayList<>();
    sopClasses.add(VERIFICATION);
    sopClasses.addAll(PacsClient.FUNDUS_STORAGE_SOP_CLASSES);
    sopClasses.add(ScreeningReportWriter.SOP_CLASS_UID);
    for (String sopClass : sopClasses) {
      List<String> offered = new ArrayList<>(proposals(Set.of(SOPClass.Verification.equals(sopClass)
          ? ScreeningReportWriter.SOP_CLASS_UID : sopClass), PacsClient.PROPOSE_ALL_TRANSFER_SYNTAXES)
          .values().iterator().next());
      LinkedList<PresentationContext> proposal = new LinkedList<>();
      byte id = 1;
      for (String ts : offered) {
        proposal.add(new PresentationContext(id, sopClass, ts));
        id += 2;
      }
      List<String> accepted = new ArrayList<>();
      @SuppressWarnings("unchecked")
      List<PresentationContext> answer = StorageListener.acceptancePolicy().applyPresentationContextSelectionPolicy(
          proposal, 0);
      for (PresentationContext pc : answer) {
        if (pc.getResultReason() == 0) {
          accepted.add(pc.getTransferSyntaxUID());
        }
      }
      rows.add(new Row(sopClass, "SCP", SOPClass.Verification.equals(sopClass) ? "C-ECHO" : "C-STORE", accepted));
    }
    return rows;
  }

  /** Number of storage SOP classes PixelMed knows, all of which the SCP accepts the same way. */
  public static int storageSopClassesAccepted() {
    return SOPClass.arrayOfStorageSOPClasses.length;
  }

  /** The generated Markdown tables by block name: {@code scu-sop-classes}, {@code scp-sop-classes}. */
  public static Map<String, String> tables() {
    Map<String, String> t = new LinkedHashMap<>();
    t.put("scu-sop-classes", markdown(scuProposals()));
    t.put("scp-sop-classes", markdown(scpAcceptance()));
    t.put("tls", tlsTable());
    return t;
  }

  /**
   * Rewrites the generated blocks of a conformance statement in place:
   * {@code java ... org.fundus4j.dicom.net.DimseConformance dicom/docs/conformance-statement.md}.
   */
  public static void main(String[] args) throws java.io.IOException {
    java.nio.file.Path doc = java.nio.file.Path.of(args.length > 0 ? args[0] : "dicom/docs/conformance-statement.md");
    java.nio.file.Files.writeString(doc, fill(java.nio.file.Files.readString(doc)));
  }

  /** {@code document} with each {@code <!-- generated: NAME -->} block replaced by {@link #tables()}' table. */
  public static String fill(String document) {
    String out = document;
    for (Map.Entry<String, String> t : tables().entrySet()) {
      String start = "<!-- generated: " + t.getKey() + " -->\n";
      String end = "<!-- end generated -->";
      int i = out.indexOf(start);
      if (i < 0) {
        throw new IllegalArgumentException("Conformance statement has no block '" + start.strip() + "'");
      }
      int j = out.indexOf(end, i);
      if (j < 0) {
        throw new IllegalArgumentException("Block '" + t.getKey() + "' has no '" + end + "'");
      }
      out = out.substring(0, i + start.length()) + t.getValue() + out.substring(j);
    }
    return out;
  }

  private static String markdown(List<Row> rows) {
    StringBuilder md = new StringBuilder();
    md.append("| SOP class | UID | role | DIMSE | transfer syntaxes (in proposal order) |\n");
    md.append("|---|---|---|---|---|\n");
    for (Row r : rows) {
      StringBuilder ts = new StringBuilder();
      for (String uid : r.transferSyntaxUids()) {
        if (ts.length() > 0) {
          ts.append("<br>");
        }
        ts.append(UidNames.transferSyntax(uid)).append(" `").append(uid).append('`');
      }
      md.append(String.format(Locale.ROOT, "| %s | `%s` | %s | %s | %s |%n", UidNames.sopClass(r.sopClassUid()),
          r.sopClassUid(), r.role(), r.service(), ts));
    }
    return md.toString();
  }

  private static String tlsTable() {
    StringBuilder md = new StringBuilder();
    md.append("| setting | value |\n|---|---|\n");
    md.append("| protocols | ").append(String.join(", ", DicomTls.PROTOCOLS)).append(" |\n");
    md.append("| cipher suites (preference order; those the JDK offers) | ")
        .append(String.join("<br>", DicomTls.CIPHER_SUITES)).append(" |\n");
    return md.toString();
  }

  /** Abstract syntax -> transfer syntaxes, as PixelMed's factory proposes them for these SOP classes. */
  private static Map<String, Set<String>> proposals(Set<String> sopClasses, int compressionLevel) {
    try {
      return bySopClass(PresentationContextListFactory.createNewPresentationContextList(
          sopClasses instanceof java.util.HashSet ? sopClasses : new LinkedHashSet<>(sopClasses), compressionLevel,
          false, true));
    } catch (DicomNetworkException e) {
      throw new IllegalStateException("PixelMed cannot build the proposal: " + e.getMessage(), e);
    }
  }

  private static Map<String, Set<String>> bySopClass(List<?> contexts) {
    Map<String, Set<String>> out = new LinkedHashMap<>();
    for (Object o : contexts) {
      PresentationContext pc = (PresentationContext) o;
      Set<String> ts = out.computeIfAbsent(pc.getAbstractSyntaxUID(), k -> new LinkedHashSet<>());
      for (Object t : pc.getTransferSyntaxUIDs()) {
        ts.add((String) t);
      }
    }
    return out;
  }
}
