package org.fundus4j.dicom;

/**
 * The first frame of a DICOM image as {@link DicomImages#readFirstFrame} returns it: either still a JPEG
 * bitstream ({@link JpegFrame}) that the caller decodes with a JPEG library of its choice, or decoded to
 * RGB ({@link FundusImage}).
 *
 * <pre>{@code
 * FirstFrame frame = DicomImages.readFirstFrame(file);
 * if (frame instanceof JpegFrame jpeg) {
 *   Mat bgr = opencv_imgcodecs.imdecode(new Mat(new BytePointer(jpeg.jpeg())), IMREAD_REDUCED_COLOR_2);
 * } else {
 *   BufferedImage rgb = ((FundusImage) frame).rgb();
 * }
 * }</pre>
 */
public sealed interface FirstFrame permits FundusImage, JpegFrame {

  /** Returns the header of the instance. */
  InstanceInfo info();
}
