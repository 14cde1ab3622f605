package org.fundus4j.pipelines;

/**
 * What a {@link Sample}'s labels mean and how {@link FundusDataSets} turns them into a label tensor.
 *
 * <ul>
 *   <li>{@link #BINARY}: {@code labels = {0|1}} (normal/abnormal); label tensor one-hot {@code [N, 2]}.
 *   <li>{@link #MULTI_CLASS}: {@code labels = {classIndex}}; label tensor one-hot {@code [N, numClasses]}.
 *   <li>{@link #MULTI_LABEL}: {@code labels} is a 0/1 vector of length {@code numClasses} (e.g. the paper's
 *       seven: AMD, glaucoma, glaucoma suspect, DR feature, pathologic myopia, ERM, RVO); label tensor
 *       {@code [N, numClasses]}.
 *   <li>{@link #SEGMENTATION}: the sample's {@code mask} image; label tensor {@code [N, 1, H, W]} of 0/1,
 *       under the same geometric transforms as the image.
 * </ul>
 */
public enum LabelKind {
  BINARY,
  MULTI_LABEL,
  SEGMENTATION,
  MULTI_CLASS
}
