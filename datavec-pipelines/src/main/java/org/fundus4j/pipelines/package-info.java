/**
 * Fundus data for Deeplearning4j: samples, the training and evaluation pipelines, and the multi-threaded
 * {@link org.fundus4j.pipelines.FundusDataSets} iterator.
 *
 * <p>Start with {@link org.fundus4j.pipelines.Pipelines} and {@link org.fundus4j.pipelines.FundusDataSets};
 * sources are in {@code .sources}, stages in {@code .preprocess} and {@code .augment}, splits in {@code .splits}.
 */
package org.fundus4j.pipelines;
