package org.fundus4j.fhirjpa;

import ca.uhn.fhir.batch2.jobs.config.Batch2JobsConfig;
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.config.HapiJpaConfig;
import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.config.SubscriptionSettings;
import ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect;
import ca.uhn.fhir.jpa.provider.JpaSystemProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import jakarta.persistence.EntityManagerFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import javax.sql.DataSource;
import org.apache.commons.dbcp2.BasicDataSource;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;

/**
 * Test support: HAPI FHIR's JPA server (R4) on an H2 database in a folder, served by Jetty on
 * 127.0.0.1, as a process of its own so that its Spring/Hibernate stack stays off the product's class path.
 *
 * <p>{@code java -cp ... org.fundus4j.fhirjpa.JpaFhirServer DB_DIR READY_FILE}: binds a free port, serves
 * {@code http://127.0.0.1:PORT/fhir}, then writes that base URL into {@code READY_FILE} (atomically, so a
 * reader never sees half of it). It runs until killed; the JVM's shutdown hook stops Jetty and Spring.
 */
public final class JpaFhirServer {

  private JpaFhirServer() {
  }

  /** The Spring configuration: HAPI's own R4 JPA configuration plus the database around it. */
  @Configuration
  @Import({JpaR4Config.class, HapiJpaConfig.class, ThreadPoolFactoryConfig.class, JpaBatch2Config.class,
      Batch2JobsConfig.class, SubscriptionChannelConfig.class})
  public static class Config {

    /** Storage settings: HAPI's defaults (conditional creates, identifier search), external references allowed. */
    @Bean
    public JpaStorageSettings storageSettings() {
      JpaStorageSettings s = new JpaStorageSettings();
      s.setAllowExternalReferences(true);
      return s;
    }

    /** No partitions. */
    @Bean
    public PartitionSettings partitionSettings() {
      return new PartitionSettings();
    }

    /** No subscriptions. */
    @Bean
    public SubscriptionSettings subscriptionSettings() {
      return new SubscriptionSettings();
    }

    /** H2 in a folder given by the system property {@code fundus4j.fhirjpa.db}. */
    @Bean(destroyMethod = "close")
    public BasicDataSource dataSource() {
      BasicDataSource ds = new BasicDataSource();
      ds.setDriverClassName("org.h2.Driver");
      ds.setUrl("jdbc:h2:file:" + System.getProperty("fundus4j.fhirjpa.db") + "/h2;DB_CLOSE_ON_EXIT=FALSE");
      ds.setUsername("sa");
      ds.setPassword("");
      ds.setMaxTotal(10);
      return ds;
    }

    /** Hibernate on that database, schema created on start, no full-text index. */
    @Primary
    @Bean
    public LocalContainerEntityManagerFactoryBean entityManagerFactory(ConfigurableListableBeanFactory beans,
        FhirContext fhir, JpaStorageSettings settings, DataSource dataSource) {
      LocalContainerEntityManagerFactoryBean emf =
          HapiEntityManagerFactoryUtil.newEntityManagerFactory(beans, fhir, settings);
      emf.setPersistenceUnitName("HAPI_PU");
      emf.setDataSource(dataSource);
      Properties p = new Properties();
      p.put("hibernate.dialect", HapiFhirH2Dialect.class.getName());
      p.put("hibernate.hbm2ddl.auto", "update");
      p.put("hibernate.search.enabled", "false");
      p.put("hibernate.format_sql", "false");
      p.put("hibernate.show_sql", "false");
      emf.setJpaProperties(p);
      return emf;
    }

    /** Transactions on that entity manager factory. */
    @Primary
    @Bean
    public JpaTransactionManager transactionManager(EntityManagerFactory emf) {
      return new JpaTransactionManager(emf);
    }
  }

  /**
   * Starts the server.
   *
   * @param args database folder, file to write the base URL into once serving
   */
  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: JpaFhirServer DB_DIR READY_FILE");
      System.exit(2);
    }
    System.setProperty("fundus4j.fhirjpa.db", Path.of(args[0]).toAbsolutePath().toString());
    AnnotationConfigApplicationContext spring = new AnnotationConfigApplicationContext(Config.class);

    RestfulServer fhir = new RestfulServer(spring.getBean(FhirContext.class));
    fhir.registerProviders(spring.getBean(ResourceProviderFactory.class).createProviders());
    fhir.registerProvider(spring.getBean(JpaSystemProvider.class));
    fhir.setPagingProvider(spring.getBean(DatabaseBackedPagingProvider.class));

    Server jetty = new Server();
    ServerConnector http = new ServerConnector(jetty);
    http.setHost("127.0.0.1");
    http.setPort(0);
    jetty.addConnector(http);
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.addServlet(new ServletHolder(fhir), "/fhir/*");
    jetty.setHandler(context);
    jetty.start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        jetty.stop();
      } catch (Exception e) {
        System.err.println("jetty stop: " + e);
      }
      spring.close();
    }, "fhirjpa-shutdown"));

    String base = "http://127.0.0.1:" + http.getLocalPort() + "/fhir";
    Path ready = Path.of(args[1]);
    Path tmp = ready.resolveSibling(ready.getFileName() + ".tmp");
    Files.writeString(tmp, base + "\n", StandardCharsets.UTF_8);
    Files.move(tmp, ready, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    System.out.println("serving " + base);
    jetty.join();
  }
}
