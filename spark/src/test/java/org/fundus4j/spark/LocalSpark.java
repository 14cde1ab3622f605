package org.fundus4j.spark;

import org.apache.spark.api.java.JavaSparkContext;

/**
 * One {@code local[2]} Spark context shared by all test classes of the fork (Spark allows one per JVM).
 *
 * <p>Starting a context costs seconds; Spark's own shutdown hook stops this one when the JVM exits.
 */
final class LocalSpark {

  private static JavaSparkContext context;

  private LocalSpark() {}

  static synchronized JavaSparkContext context() {
    if (context == null) {
      context = new JavaSparkContext(SparkConfigs.local(2, "fundus4j-spark-tests"));
    }
    return context;
  }
}
