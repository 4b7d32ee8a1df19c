using System.Text.Json;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Utility;

namespace SharingHub.Server.Fhir.Write;

/// <summary>
/// Every FHIR body a partner sends is first read by the Firely SDK's strict R4 parser: an unknown element, a
/// value of the wrong type, a code outside its required value set, a malformed date or id is refused with the
/// SDK's own issue code (for example PVAL116) and the element's FHIRPath, before the hub maps anything. The
/// hub's own reading (rules, sealing, linkage) follows only for well-formed R4.
/// </summary>
internal static class StrictR4
{
    /// <summary>The system of the SDK's issue codes, as Firely's own servers report them.</summary>
    public const string IssueCodes = "http://hl7.org/fhir/dotnet-api-operation-outcome";

    private static readonly BaseFhirJsonDeserializer Parser = new(Hl7.Fhir.Model.ModelInfo.ModelInspector, new DeserializerSettings().UsingMode(DeserializationMode.Strict));

    /// <summary>The issues that make the body malformed R4 (at most 20), or null when it is well formed.</summary>
    public static List<OperationOutcomeIssue>? Problems(ReadOnlyMemory<byte> body)
    {
        using var span = Core.Telemetry.HubDiagnostics.Source.StartActivity("fhir.parse");
        var reader = new Utf8JsonReader(body.Span);
        IEnumerable<CodedException> issues;
        try
        {
            if (Parser.TryDeserializeResource(ref reader, out _, out issues))
            {
                return null;
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            // Not JSON at all (a syntax error, a lone UTF-16 surrogate, a number out of range): the reader's own words, which
            // name a position in the body, never the hub's internals.
            return [new OperationOutcomeIssue("error", "structure", $"the body is not valid JSON: {e.Message}")];
        }
        catch (IndexOutOfRangeException)
        {
            // The SDK's parser itself fails on some malformed element names (found by the parser runs, issue 28): still the
            // caller's body that is at fault, so still their error.
            return [new OperationOutcomeIssue("error", "structure", "the body is not well-formed FHIR R4: an element could not be read")];
        }
        var list = issues.Take(20).Select(Issue).ToList();
        return list.Count == 0 ? [new OperationOutcomeIssue("error", "structure", "the body is not well-formed FHIR R4")] : list;
    }

    private static OperationOutcomeIssue Issue(CodedException e)
    {
        var extended = e as ExtendedCodedException;
        var code = extended?.IssueType switch
        {
            Hl7.Fhir.Model.OperationOutcome.IssueType.Value => "value",
            Hl7.Fhir.Model.OperationOutcome.IssueType.Required => "required",
            Hl7.Fhir.Model.OperationOutcome.IssueType.CodeInvalid => "code-invalid",
            _ => "structure",
        };
        var message = extended?.BaseErrorMessage ?? e.Message;
        return new OperationOutcomeIssue("error", code, $"{e.ErrorCode}: {message}", CodeableConcept.Of(IssueCodes, e.ErrorCode),
            extended?.InstancePath is { Length: > 0 } path ? [path] : null);
    }
}
