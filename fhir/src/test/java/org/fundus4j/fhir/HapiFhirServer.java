package org.fundus4j.fhir;

import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.Read;
import ca.uhn.fhir.rest.annotation.RequiredParam;
import ca.uhn.fhir.rest.annotation.Search;
import ca.uhn.fhir.rest.annotation.Transaction;
import ca.uhn.fhir.rest.annotation.TransactionParam;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.server.IResourceProvider;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.exceptions.InternalErrorException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Device;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.ImagingStudy;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/**
 * A FHIR R4 server for tests: HAPI FHIR's own {@code RestfulServer} (request parsing, content negotiation,
 * search parameter binding, error responses) on Jetty, on 127.0.0.1, with in-memory resource providers for
 * Device, ImagingStudy, Observation and DiagnosticReport.
 *
 * <p>The transaction provider does what FHIR R4's transaction rules ask of the parts fundus4j uses:
 * {@code POST} entries with {@code ifNoneExist} are conditional creates (an existing match is answered 200 and
 * not created again), {@code urn:uuid:} references are rewritten to the assigned ids, and the answer is a
 * transaction-response Bundle. Searches: {@code identifier} (token) on every type, {@code derived-from} on
 * Observation, {@code result} on DiagnosticReport. HAPI FHIR's JPA server (a database-backed server) would
 * need Spring, Hibernate and a database: not used here (see the module README).
 */
final class HapiFhirServer implements AutoCloseable {

  private final Map<String, Map<String, Resource>> store = new HashMap<>();
  private final AtomicInteger transactions = new AtomicInteger();
  private final AtomicInteger refuseNext = new AtomicInteger();
  private final Server jetty;
  private final int port;

  private HapiFhirServer(Optional<String> token) throws Exception {
    RestfulServer fhir = new RestfulServer(ScreeningBundle.context()) {
      @Override
      protected void service(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        if (token.isPresent() && !("Bearer " + token.get()).equals(req.getHeader("Authorization"))) {
          resp.sendError(401, "Bearer token required");
          return;
        }
        super.service(req, resp);
      }
    };
    fhir.registerProvider(this);
    fhir.setResourceProviders(List.of(new Provider(Device.class), new Provider(ImagingStudy.class),
        new ObservationProvider(), new ReportProvider()));
    jetty = new Server(new InetSocketAddress("127.0.0.1", 0));
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.addServlet(new ServletHolder(fhir), "/fhir/*");
    jetty.setHandler(context);
    jetty.start();
    port = ((ServerConnector) jetty.getConnectors()[0]).getLocalPort();
  }

  /** Starts a server; with a token every request needs {@code Authorization: Bearer <token>}. */
  static HapiFhirServer start(Optional<String> token) throws Exception {
    return new HapiFhirServer(token);
  }

  URI base() {
    return URI.create("http://127.0.0.1:" + port + "/fhir");
  }

  /** Transactions received (including refused ones). */
  int transactions() {
    return transactions.get();
  }

  /** The next {@code n} transactions are answered HTTP 500 (a deterministic "server down"). */
  void refuseNext(int n) {
    refuseNext.set(n);
  }

  synchronized int count(String type) {
    return store.getOrDefault(type, Map.of()).size();
  }

  @Override
  public void close() throws Exception {
    jetty.stop();
  }

  @Transaction
  public synchronized Bundle transaction(@TransactionParam Bundle in) {
    transactions.incrementAndGet();
    if (refuseNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new InternalErrorException("refused for the test");
    }
    Map<String, String> resolved = new LinkedHashMap<>();
    List<Resource> created = new ArrayList<>();
    Bundle out = new Bundle().setType(Bundle.BundleType.TRANSACTIONRESPONSE);
    for (Bundle.BundleEntryComponent e : in.getEntry()) {
      if (e.getRequest().getMethod() != Bundle.HTTPVerb.POST) {
        throw new InvalidRequestException("Only POST entries are supported by this test server");
      }
      Resource r = e.getResource().copy();
      String type = r.fhirType();
      Optional<Resource> existing = Optional.empty();
      String ifNoneExist = e.getRequest().getIfNoneExist();
      if (ifNoneExist != null && !ifNoneExist.isEmpty()) {
        if (!ifNoneExist.startsWith("identifier=")) {
          throw new InvalidRequestException("Only identifier= conditional creates are supported: " + ifNoneExist);
        }
        String[] token = ifNoneExist.substring("identifier=".length()).split("\\|", 2);
        existing = find(type, byIdentifier(token[0], token[1])).stream().findFirst();
      }
      String id;
      if (existing.isPresent()) {
        id = existing.get().getIdElement().getIdPart();
        out.addEntry().getResponse().setStatus("200 OK").setLocation(type + "/" + id);
      } else {
        id = String.valueOf(count(type) + 1);
        r.setId(new IdType(type, id, "1"));
        created.add(r);
        out.addEntry().getResponse().setStatus("201 Created").setLocation(type + "/" + id + "/_history/1");
      }
      resolved.put(e.getFullUrl(), type + "/" + id);
      if (existing.isEmpty()) {
        store.computeIfAbsent(type, t -> new LinkedHashMap<>()).put(id, r);
      }
    }
    for (Resource r : created) {
      for (Reference ref : ScreeningBundle.context().newTerser().getAllPopulatedChildElementsOfType(r,
          Reference.class)) {
        if (ref.getReference() != null && resolved.containsKey(ref.getReference())) {
          ref.setReference(resolved.get(ref.getReference()));
        }
      }
    }
    return out;
  }

  private synchronized List<Resource> find(String type, Predicate<Resource> match) {
    return store.getOrDefault(type, Map.of()).values().stream().filter(match).toList();
  }

  private static Predicate<Resource> byIdentifier(String system, String value) {
    return r -> identifiers(r).stream().anyMatch(i -> system.equals(i.getSystem()) && value.equals(i.getValue()));
  }

  private static List<Identifier> identifiers(Resource r) {
    if (r instanceof Device d) {
      return d.getIdentifier();
    } else if (r instanceof ImagingStudy s) {
      return s.getIdentifier();
    } else if (r instanceof Observation o) {
      return o.getIdentifier();
    } else if (r instanceof DiagnosticReport d) {
      return d.getIdentifier();
    }
    return List.of();
  }

  /** Read and search by identifier. */
  class Provider implements IResourceProvider {
    private final Class<? extends Resource> type;

    Provider(Class<? extends Resource> type) {
      this.type = type;
    }

    @Override
    public Class<? extends IBaseResource> getResourceType() {
      return type;
    }

    @Read
    public Resource read(@IdParam IdType id) {
      synchronized (HapiFhirServer.this) {
        Resource r = store.getOrDefault(id.getResourceType(), Map.of()).get(id.getIdPart());
        if (r == null) {
          throw new ResourceNotFoundException(id);
        }
        return r;
      }
    }

    @Search
    public List<Resource> byIdentifier(@RequiredParam(name = "identifier") TokenParam identifier) {
      return find(typeName(), HapiFhirServer.byIdentifier(identifier.getSystem(), identifier.getValue()));
    }

    String typeName() {
      return ScreeningBundle.context().getResourceType(type);
    }
  }

  /** Observation: also {@code derived-from}. */
  class ObservationProvider extends Provider {
    ObservationProvider() {
      super(Observation.class);
    }

    @Search
    public List<Resource> byDerivedFrom(@RequiredParam(name = "derived-from") ReferenceParam source) {
      String wanted = source.getResourceType() + "/" + source.getIdPart();
      return find("Observation", r -> ((Observation) r).getDerivedFrom().stream()
          .anyMatch(ref -> wanted.equals(ref.getReference())));
    }
  }

  /** DiagnosticReport: also {@code result}. */
  class ReportProvider extends Provider {
    ReportProvider() {
      super(DiagnosticReport.class);
    }

    @Search
    public List<Resource> byResult(@RequiredParam(name = "result") ReferenceParam result) {
      String wanted = "Observation/" + result.getIdPart();
      return find("DiagnosticReport", r -> ((DiagnosticReport) r).getResult().stream()
          .anyMatch(ref -> wanted.equals(ref.getReference())));
    }
  }
}
