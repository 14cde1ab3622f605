/**
 * Screening results as DICOM Comprehensive 3D SR, TID 1500 Measurement Report (IHE AI Results).
 *
 * <p>Callers map model outputs onto plain records ({@link org.fundus4j.dicom.sr.Finding} with a
 * {@link org.fundus4j.dicom.sr.CodedConcept} from {@link org.fundus4j.dicom.sr.Findings} and a
 * probability) and hand them to {@link org.fundus4j.dicom.sr.ScreeningReportWriter}; this package
 * never sees a tensor. The content tree, the codes and their sources (SNOMED CT, DCM, and the
 * private scheme {@code 99FUNDUS4J} where no registered code was confirmed) are documented in
 * {@code dicom/docs/sr-codes.md}.
 *
 * <pre>{@code
 * ScreeningReportWriter writer = new ScreeningReportWriter(
 *     new AlgorithmId("fundus4j ResNet-50", "0.1.0"), UidGenerator.uuidDerived());
 * SrResult sr = writer.write(image, List.of(new Finding(Findings.ABNORMAL_FUNDUS, 0.87)), out);
 * }</pre>
 */
package org.fundus4j.dicom.sr;
