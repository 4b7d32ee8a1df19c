using Firely.Fhir.Validation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;

// Validates every FHIR resource in the NDJSON files given (one resource per line) with Firely's reference
// validator: structure, cardinality, invariants, local terminology, and the hub's own extensions, whose
// StructureDefinitions are read from the folder given with --profiles. An error, or an extension the
// validator cannot resolve, fails the run; other warnings are counted and printed.
// Usage: dotnet run --project interop/fhir-validate -- --profiles DIR FILE.ndjson [FILE.ndjson ...]
var profiles = args.SkipWhile(a => a != "--profiles").Skip(1).FirstOrDefault();
var files = args.Where((a, i) => a != "--profiles" && (i == 0 || args[i - 1] != "--profiles")).ToList();
if (profiles is null || files.Count == 0)
{
    Console.Error.WriteLine("usage: fhir-validate --profiles DIR FILE.ndjson [FILE.ndjson ...]");
    return 2;
}
var source = new CachedResolver(new SnapshotSource(new MultiResolver(ZipSource.CreateValidationSource(), new DirectorySource(profiles))));
var settings = new ValidationSettings();
// ref-1 guards local references ("#id") to contained resources. Firely evaluates it to empty, and so fails it,
// on a logical reference (identifier only, no reference element), which R4 allows and the HL7 Java validator
// passes; the hub names agencies that way. The hub never sends a local reference, so nothing else is lost.
#pragma warning disable ExperimentalApi // FhirPathValidator is how Firely names an invariant; its Key is all that is read.
settings.ExcludeFilters.Add(assertion => assertion is FhirPathValidator { Key: "ref-1" });
#pragma warning restore ExperimentalApi
var validator = new Validator(source, new LocalTerminologyService(source), null, settings, null);
var parser = new FhirJsonDeserializer();
int checkedCount = 0, failed = 0, warnings = 0;
var seenWarnings = new Dictionary<string, int>(StringComparer.Ordinal);
foreach (var file in files)
{
    var line = 0;
    foreach (var json in File.ReadLines(file))
    {
        line++;
        if (string.IsNullOrWhiteSpace(json))
        {
            continue;
        }
        checkedCount++;
        Resource resource;
        try
        {
            resource = parser.DeserializeResource(json);
        }
        catch (DeserializationFailedException e)
        {
            failed++;
            Console.Error.WriteLine($"{Path.GetFileName(file)}:{line}: does not parse as R4: {e.Message}");
            continue;
        }
        var outcome = validator.Validate(resource, null);
        var problems = outcome.Issue.Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal
            || (i.Severity == OperationOutcome.IssueSeverity.Warning && (i.Details?.Text ?? i.Diagnostics ?? "").Contains("resolve", StringComparison.OrdinalIgnoreCase))).ToList();
        if (problems.Count > 0)
        {
            failed++;
            foreach (var p in problems.Take(5))
            {
                Console.Error.WriteLine($"{Path.GetFileName(file)}:{line} {resource.TypeName}: {p.Severity} at {string.Join(",", p.Expression ?? [])}: {p.Details?.Text ?? p.Diagnostics}");
            }
        }
        foreach (var w in outcome.Issue.Where(i => i.Severity == OperationOutcome.IssueSeverity.Warning).Except(problems))
        {
            warnings++;
            var key = w.Details?.Text ?? w.Diagnostics ?? "";
            seenWarnings[key] = seenWarnings.GetValueOrDefault(key) + 1;
        }
    }
}
foreach (var (text, count) in seenWarnings.OrderByDescending(w => w.Value).Take(10))
{
    Console.WriteLine($"  warning x{count}: {text}");
}
Console.WriteLine(failed == 0
    ? $"ok: {checkedCount} FHIR resources pass Firely's R4 validator ({warnings} warnings, none about unresolved definitions)"
    : $"FAILED: {failed} of {checkedCount} FHIR resources have errors under Firely's R4 validator");
return failed == 0 ? 0 : 1;
