using System.Text.Json.Serialization;

namespace SharingHub.Server.Fhir;

// The hub's own FHIR R4 models: only the elements it serves. Property order is the JSON order, so
// resourceType comes first. Null elements are left out (FHIR forbids empty and null values).

internal sealed record Coding(string? System, string? Code, string? Display = null);

internal sealed record CodeableConcept(IReadOnlyList<Coding>? Coding, string? Text = null)
{
    public static CodeableConcept Of(string system, string code, string? display = null) => new([new Coding(system, code, display)], display);
}

internal sealed record Identifier(string? System, string? Value, string? Use = null);

internal sealed record Reference(string? ReferenceText = null, Identifier? Identifier = null, string? Display = null, string? Type = null)
{
    [JsonPropertyName("reference")]
    public string? ReferenceText { get; init; } = ReferenceText;

    /// <summary>Only on a required reference the reader may not see: data-absent-reason "masked".</summary>
    public IReadOnlyList<Extension>? Extension { get; init; }

    public static Reference Masked() => new() { Extension = [new Extension(FhirSystems.DataAbsentReason, ValueCode: "masked")] };
}

internal sealed record Period(string? Start, string? End);

internal sealed record Extension(string Url, string? ValueCode = null, string? ValueString = null, bool? ValueBoolean = null, Reference? ValueReference = null,
    Annotation? ValueAnnotation = null, string? ValueDate = null);

/// <summary>Extensions on a primitive element (FHIR's "_birthDate"), used here only for data-absent-reason.</summary>
internal sealed record PrimitiveExtensions(IReadOnlyList<Extension> Extension);

internal sealed record Meta(string? VersionId, string? LastUpdated, IReadOnlyList<Coding>? Security = null, IReadOnlyList<Coding>? Tag = null);

internal sealed record HumanName(string? Family, IReadOnlyList<string>? Given, string? Use = null)
{
    [JsonPropertyName("_family")]
    public PrimitiveExtensions? FamilyExtensions { get; init; }
}

internal sealed record Address(string? Text, string? PostalCode = null, string? Use = null)
{
    public IReadOnlyList<Extension>? Extension { get; init; }

    [JsonPropertyName("_text")]
    public PrimitiveExtensions? TextExtensions { get; init; }
}

internal sealed record Annotation(string Text)
{
    public Reference? AuthorReference { get; init; }
    public string? AuthorString { get; init; }
}

internal sealed record Patient(string Id, Meta Meta) : FhirResource("Patient", Id, Meta)
{
    /// <summary>Only for an unborn child: the expected date of delivery (there is no birthDate).</summary>
    public IReadOnlyList<Extension>? Extension { get; init; }
    public IReadOnlyList<Identifier>? Identifier { get; init; }
    public IReadOnlyList<HumanName>? Name { get; init; }
    public string? Gender { get; init; }
    public string? BirthDate { get; init; }

    [JsonPropertyName("_birthDate")]
    public PrimitiveExtensions? BirthDateExtensions { get; init; }

    public IReadOnlyList<Address>? Address { get; init; }
    public Reference? ManagingOrganization { get; init; }
}

internal sealed record Observation(string Id, Meta Meta) : FhirResource("Observation", Id, Meta)
{
    public IReadOnlyList<Extension>? Extension { get; init; }
    public IReadOnlyList<Identifier>? Identifier { get; init; }
    public string Status { get; init; } = "final";
    public IReadOnlyList<CodeableConcept>? Category { get; init; }
    public CodeableConcept Code { get; init; } = null!;
    public Reference? Subject { get; init; }
    public IReadOnlyList<Reference>? Focus { get; init; }
    public string? EffectiveDateTime { get; init; }
    public IReadOnlyList<Reference>? Performer { get; init; }
    public string? ValueString { get; init; }

    [JsonPropertyName("_valueString")]
    public PrimitiveExtensions? ValueStringExtensions { get; init; }

    public IReadOnlyList<Annotation>? Note { get; init; }
}

internal sealed record EpisodeOfCare(string Id, Meta Meta) : FhirResource("EpisodeOfCare", Id, Meta)
{
    public IReadOnlyList<Extension>? Extension { get; init; }
    public IReadOnlyList<Identifier>? Identifier { get; init; }
    public string Status { get; init; } = "active";
    public IReadOnlyList<CodeableConcept>? Type { get; init; }
    public Reference Patient { get; init; } = null!;
    public Reference? ManagingOrganization { get; init; }
    public Period? Period { get; init; }
    public Reference? CareManager { get; init; }
    public IReadOnlyList<Reference>? Team { get; init; }
}

internal sealed record Flag(string Id, Meta Meta) : FhirResource("Flag", Id, Meta)
{
    public IReadOnlyList<Extension>? Extension { get; init; }
    public IReadOnlyList<Identifier>? Identifier { get; init; }
    public string Status { get; init; } = "active";
    public IReadOnlyList<CodeableConcept>? Category { get; init; }
    public CodeableConcept Code { get; init; } = null!;
    public Reference Subject { get; init; } = null!;
    public Period? Period { get; init; }
    public Reference? Author { get; init; }
}

internal sealed record GroupMember(Reference Entity, IReadOnlyList<Extension>? Extension = null);

internal sealed record Group(string Id, Meta Meta) : FhirResource("Group", Id, Meta)
{
    public IReadOnlyList<Extension>? Extension { get; init; }
    public IReadOnlyList<Identifier>? Identifier { get; init; }
    public string Type { get; init; } = "person";
    public bool Actual { get; init; } = true;
    public string? Name { get; init; }
    public int? Quantity { get; init; }
    public Reference? ManagingEntity { get; init; }
    public IReadOnlyList<GroupMember>? Member { get; init; }
}

internal sealed record RelatedPerson(string Id, Meta Meta) : FhirResource("RelatedPerson", Id, Meta)
{
    public IReadOnlyList<Extension>? Extension { get; init; }
    public Reference Patient { get; init; } = null!;
    public IReadOnlyList<CodeableConcept>? Relationship { get; init; }
}

internal sealed record ConsentActor(CodeableConcept Role, Reference Reference);

internal sealed record ConsentProvision(string? Type, Period? Period, IReadOnlyList<ConsentActor>? Actor, IReadOnlyList<Coding>? SecurityLabel, IReadOnlyList<Coding>? Purpose);

internal sealed record ConsentPolicy(string Uri);

internal sealed record FhirConsent(string Id, Meta Meta) : FhirResource("Consent", Id, Meta)
{
    public IReadOnlyList<Extension>? Extension { get; init; }
    public string Status { get; init; } = "active";
    public CodeableConcept Scope { get; init; } = null!;
    public IReadOnlyList<CodeableConcept> Category { get; init; } = [];
    public Reference? Patient { get; init; }
    public string? DateTime { get; init; }
    public IReadOnlyList<Reference>? Performer { get; init; }
    public IReadOnlyList<Reference>? Organization { get; init; }
    public IReadOnlyList<ConsentPolicy>? Policy { get; init; }
    public CodeableConcept? PolicyRule { get; init; }
    public ConsentProvision? Provision { get; init; }
}

internal sealed record OperationOutcomeIssue(string Severity, string Code, string? Diagnostics = null, CodeableConcept? Details = null, IReadOnlyList<string>? Expression = null);

internal sealed record OperationOutcome(IReadOnlyList<OperationOutcomeIssue> Issue) : FhirResource("OperationOutcome", null, null);

internal sealed record BundleLink(string Relation, string Url);

internal sealed record BundleSearch(string Mode);

internal sealed record BundleEntryResponse(string Status, string? Location = null, string? Etag = null, string? LastModified = null, object? Outcome = null);

internal sealed record BundleEntryRequest(string Method, string Url);

internal sealed record BundleEntry(string? FullUrl, object? Resource, BundleSearch? Search = null, BundleEntryResponse? Response = null)
{
    public BundleEntryRequest? Request { get; init; }
}

internal sealed record Bundle(string Type) : FhirResource("Bundle", null, null)
{
    public string? Timestamp { get; init; }
    public int? Total { get; init; }
    public IReadOnlyList<BundleLink>? Link { get; init; }
    public IReadOnlyList<BundleEntry>? Entry { get; init; }
}

/// <summary>The base of every resource the hub serves.</summary>
internal abstract record FhirResource(
    [property: JsonPropertyOrder(-3)] string ResourceType,
    [property: JsonPropertyOrder(-2)] string? Id,
    [property: JsonPropertyOrder(-1)] Meta? Meta);
