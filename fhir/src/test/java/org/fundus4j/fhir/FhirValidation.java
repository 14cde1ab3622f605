package org.fundus4j.fhir;

import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationResult;
import java.util.List;
import org.hl7.fhir.common.hapi.validation.support.CachingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.instance.model.api.IBaseResource;

/** HAPI's instance validator against the base FHIR R4 profiles and terminologies shipped with HAPI (no network). */
final class FhirValidation {

  private static FhirValidator validator;

  private FhirValidation() {}

  static synchronized FhirValidator validator() {
    if (validator == null) {
      var ctx = ScreeningBundle.context();
      ValidationSupportChain chain = new ValidationSupportChain(new DefaultProfileValidationSupport(ctx),
          new CommonCodeSystemsTerminologyService(ctx), new InMemoryTerminologyServerValidationSupport(ctx),
          new SnapshotGeneratingValidationSupport(ctx));
      validator = ctx.newValidator().registerValidatorModule(
          new FhirInstanceValidator(new CachingValidationSupport(chain)));
    }
    return validator;
  }

  /** Messages of severity ERROR or FATAL. */
  static List<SingleValidationMessage> errors(IBaseResource resource) {
    ValidationResult result = validator().validateWithResult(resource);
    return result.getMessages().stream()
        .filter(m -> m.getSeverity() == ResultSeverityEnum.ERROR || m.getSeverity() == ResultSeverityEnum.FATAL)
        .toList();
  }

  static List<SingleValidationMessage> all(IBaseResource resource) {
    return validator().validateWithResult(resource).getMessages();
  }
}
