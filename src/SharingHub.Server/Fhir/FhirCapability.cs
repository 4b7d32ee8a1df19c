namespace SharingHub.Server.Fhir;

/// <summary>The CapabilityStatement at /fhir/metadata: exactly what this hub supports, generated from the handlers' own tables.</summary>
internal static class FhirCapability
{
    public static object Statement(string baseUrl) => new
    {
        resourceType = "CapabilityStatement",
        name = "SharingHubCapabilityStatement",
        status = "active",
        date = "2026-11-22",
        publisher = "SharingHub",
        kind = "instance",
        software = new { name = "SharingHub", version = typeof(FhirCapability).Assembly.GetName().Version?.ToString() },
        implementation = new { description = "SharingHub multi-agency safeguarding information-sharing hub", url = baseUrl },
        fhirVersion = "4.0.1",
        format = new[] { "application/fhir+json" },
        rest = new[]
        {
            new
            {
                mode = "server",
                documentation = "Every data request names a purpose of use in the X-Purpose-Of-Use header (and, for enquiry purposes, the enquiry in X-Enquiry-Id). Records the caller may not know of answer 404 as if absent; withheld fields are removed and the resource is labelled REDACTED.",
                security = new
                {
                    cors = false,
                    service = new[] { new { coding = new[] { new { system = "http://terminology.hl7.org/CodeSystem/restful-security-service", code = "SMART-on-FHIR" } } } },
                    description = "OAuth2 bearer tokens from an agency's trusted issuer, or from the hub's token service (SMART Backend Services client credentials).",
                },
                interaction = new[] { new { code = "transaction" } },
                resource = FhirSearch.Supported.Append(new KeyValuePair<string, string[]>("AuditEvent", ["date", "patient", "agent", "purpose", "outcome"]))
                    .Append(new KeyValuePair<string, string[]>("Provenance", ["target"]))
                    .Append(new KeyValuePair<string, string[]>("StructureDefinition", ["url"]))
                    .Append(new KeyValuePair<string, string[]>("OperationDefinition", ["url"]))
                    .Append(new KeyValuePair<string, string[]>("Task", ["_id", "patient", "code", "status", "business-status"]))
                    .Append(new KeyValuePair<string, string[]>(FhirJourney.CarePlanType, FhirJourney.CarePlanParameters))
                    .Append(new KeyValuePair<string, string[]>(FhirJourney.EncounterType, FhirJourney.EncounterParameters)).Select(r => new
                {
                    type = r.Key,
                    interaction = r.Key == FhirTypes.Patient || Write.FhirWriterKinds.Writable(r.Key)
                        ? new[] { new { code = "read" }, new { code = "vread" }, new { code = "history-instance" }, new { code = "search-type" }, new { code = "create" }, new { code = "update" } }
                        : r.Key == FhirTypes.Observation
                            ? new[] { new { code = "read" }, new { code = "vread" }, new { code = "history-instance" }, new { code = "search-type" }, new { code = "create" } }
                            : r.Key is "Task" or FhirJourney.EncounterType
                                ? new[] { new { code = "read" }, new { code = "search-type" }, new { code = "create" } }
                            : r.Key is "AuditEvent" or "Provenance"
                                ? new[] { new { code = "search-type" } }
                            : r.Key is "StructureDefinition" or "OperationDefinition" or FhirJourney.CarePlanType
                                ? new[] { new { code = "read" }, new { code = "search-type" } }
                                : new[] { new { code = "read" }, new { code = "vread" }, new { code = "history-instance" }, new { code = "search-type" } },
                    // A Family Help CarePlan is versioned like every written record (a child protection plan is read from its case).
                    versioning = r.Key is "AuditEvent" or "Provenance" or "Task" or "StructureDefinition" or "OperationDefinition" or FhirJourney.EncounterType
                        ? "no-version" : "versioned",
                    conditionalCreate = r.Key is FhirTypes.Patient or FhirTypes.Observation || Write.FhirWriterKinds.Writable(r.Key),
                    updateCreate = false,
                    searchParam = r.Value.Select(p => new { name = p, type = ParamType(p) }),
                    operation = r.Key == FhirTypes.Patient
                        ? new[]
                        {
                            new { name = "chronology", definition = FhirProfiles.OperationUrl("Patient-chronology") },
                            new { name = "person-info-query", definition = FhirProfiles.OperationUrl("Patient-person-info-query") },
                        }
                        : r.Key == "Task"
                            ? new[] { new { name = "decide", definition = FhirProfiles.OperationUrl("Task-decide") } }
                            : null,
                }),
            },
        },
    };

    private static string ParamType(string name) => name switch
    {
        "_lastUpdated" or "date" or "birthdate" => "date",
        "patient" or "subject" or "member" or "target" => "reference",
        "agent" or "purpose" or "outcome" => "token",
        "family" => "string",
        "url" => "uri",
        _ => "token",
    };
}
