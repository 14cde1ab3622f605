/**
 * Patient-grouped stratified k-fold cross-validation, nested stratified data fractions, and split files.
 */
package org.fundus4j.pipelines.splits;
