/**
 * Seeded training-only augmentation stages: horizontal flip, grayscale, Gaussian blur and CLAHE (OpenCV).
 */
package org.fundus4j.pipelines.augment;
