package org.fundus4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fundus4j.dicom.CheckResult;
import org.fundus4j.dicom.DicomCheck;
import org.fundus4j.dicom.InstanceInfo;
import org.fundus4j.screening.BatchScreening;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code fundus dicom}: everyday DICOM file commands. */
@Command(name = "dicom", mixinStandardHelpOptions = true, description = "DICOM file tools.",
    subcommands = {DicomCommand.Check.class})
final class DicomCommand {

  /** {@code fundus dicom check}: what each file is and whether its pixels decode. */
  @Command(name = "check", mixinStandardHelpOptions = true,
      description = {"Prints per file: SOP class, transfer syntax, size, laterality, and whether the pixels "
          + "decode (with the reason when not). Exits non-zero only when no file could be decoded."})
  static final class Check implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "DIR|FILE", description = "DICOM files or folders (recursive)")
    List<Path> inputs;

    @Override
    public Integer call() throws Exception {
      int ok = 0;
      List<Path> files = BatchScreening.expand(inputs);
      System.out.println("file\tstatus\tsop_class\ttransfer_syntax\tbytes\trows x columns\tlaterality\treason");
      for (Path file : files) {
        CheckResult result = DicomCheck.check(file);
        InstanceInfo info = result.info();
        if (result.ok()) {
          ok++;
        }
        System.out.println(String.join("\t", file.toString(), result.ok() ? "ok" : "ERROR",
            info == null ? "-" : info.sopClassUid(), info == null ? "-" : info.transferSyntaxUid(),
            Long.toString(result.sizeBytes()),
            info == null ? "-" : info.rows() + " x " + info.columns(),
            info == null || info.laterality().isEmpty() ? "-" : info.laterality(),
            result.reason() == null ? "" : result.reason()));
      }
      System.out.printf(Locale.ROOT, "%d files: %d decode, %d with errors%n", files.size(), ok, files.size() - ok);
      return ok > 0 ? 0 : 1;
    }
  }
}
