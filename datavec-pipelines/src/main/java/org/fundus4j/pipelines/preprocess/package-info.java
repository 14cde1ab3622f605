/**
 * Deterministic preprocessing stages: border crop around the fundus disc, pad to square, resize, and
 * ImageNet normalisation into channel-first floats; OpenCV/BufferedImage conversion.
 */
package org.fundus4j.pipelines.preprocess;
