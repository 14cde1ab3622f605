/**
 * Reading fundus photographs from DICOM files and writing test images, with PixelMed inside.
 *
 * <p>{@link org.fundus4j.dicom.DicomImages} decodes Ophthalmic Photography, VL Photographic and
 * Secondary Capture images (uncompressed, JPEG baseline and lossless, RLE, JPEG 2000) to 8-bit
 * RGB plus an {@link org.fundus4j.dicom.InstanceInfo}; {@code DicomImages.readFirstFrame} hands a JPEG
 * baseline frame over still compressed ({@link org.fundus4j.dicom.JpegFrame}) when any JPEG decoder gives
 * the same pixels, so that callers can decode it faster; {@link org.fundus4j.dicom.DicomCheck} does
 * the same without throwing, for reports over folders of files;
 * {@link org.fundus4j.dicom.OphthalmicPhotoWriter} writes RGB images as valid OP instances.
 * Screening results are written by the {@code sr} sub-package. PixelMed types never appear in the
 * public API. Log lines carry counts and {@link org.fundus4j.dicom.LogSafe#shortHash short UID
 * hashes}, never patient names or IDs.
 *
 * <pre>{@code
 * FundusImage image = DicomImages.read(Path.of("eye.dcm"));
 * CheckResult check = DicomCheck.check(Path.of("maybe-broken.dcm"));
 * }</pre>
 */
package org.fundus4j.dicom;
