using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Hl7.Fhir.Serialization;
using SharingHub.Server.Fhir;

namespace SharingHub.Benchmarks;

/// <summary>
/// The serving path's choice (issue 19): a 142-entry chronology Bundle written as JSON by the hub's own serving
/// types against the same Bundle as Firely SDK POCOs written by the SDK's serialiser, to the same kind of writer.
/// Inbound bodies are parsed by the SDK either way; this decides only what the hub answers with.
/// </summary>
internal static class FhirBenchmark
{
    public static void Run(Report report, bool smoke)
    {
        var hub = Chronology(142);
        var json = JsonSerializer.Serialize(hub, hub.GetType(), FhirResults.Json);
        var sdk = new BaseFhirJsonDeserializer(Hl7.Fhir.Model.ModelInfo.ModelInspector, new DeserializerSettings().UsingMode(DeserializationMode.Strict));
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json));
        if (!sdk.TryDeserializeResource(ref reader, out var poco, out var issues) || poco is null)
        {
            throw new InvalidOperationException("the hub's chronology Bundle is not strict R4: " + string.Join("; ", issues.Select(i => i.Message)));
        }
        var serializer = new BaseFhirJsonSerializer(Hl7.Fhir.Model.ModelInfo.ModelInspector);
        var buffer = new ArrayBufferWriter<byte>(1 << 20);
        var rounds = smoke ? 20 : 2_000;
        void Hub()
        {
            buffer.ResetWrittenCount();
            using var writer = new Utf8JsonWriter(buffer);
            JsonSerializer.Serialize(writer, hub, hub.GetType(), FhirResults.Json);
        }
        void Sdk()
        {
            buffer.ResetWrittenCount();
            using var writer = new Utf8JsonWriter(buffer);
            serializer.Serialize(poco, writer);
        }
        var (sdkRate, sdkBytes) = Measure(Sdk, rounds);
        var (hubRate, hubBytes) = Measure(Hub, rounds);
        report.Add(new Figure("fhir", "write a 142-entry chronology Bundle as JSON, Firely SDK POCOs and serialiser (baseline)", sdkRate, sdkBytes, 1, "itself"));
        report.Add(new Figure("fhir", "write the same Bundle, the hub's serving types and System.Text.Json", hubRate, hubBytes, hubRate / sdkRate, "Firely SDK (speed-up)"));
    }

    private static (double PerSecond, double BytesPerOperation) Measure(Action operation, int rounds)
    {
        for (var i = 0; i < Math.Max(5, rounds / 10); i++)
        {
            operation();
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < rounds; i++)
        {
            operation();
        }
        clock.Stop();
        return (rounds / clock.Elapsed.TotalSeconds, (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)rounds);
    }

    /// <summary>A chronology as the hub answers one: each event with its tags, category, subject, agency, date, summary and detail.</summary>
    private static Bundle Chronology(int entries)
    {
        var agencies = new[] { ("police", "Police"), ("health", "Health (ICB and NHS providers)"), ("education", "Education"), ("la", "Local authority children's services") };
        var child = Guid.NewGuid();
        var list = Enumerable.Range(0, entries).Select(i =>
        {
            var (agency, name) = agencies[i % agencies.Length];
            var id = Guid.NewGuid().ToString();
            var category = new CodeableConcept([new Coding("urn:sharinghub:event-category", "home-visit", "Home visit")]);
            var observation = new Observation(id, new Meta("1", "2026-11-01T09:00:00Z",
                [new Coding("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R")],
                [new Coding("urn:sharinghub:data-class", agency + ".incident"), new Coding("urn:sharinghub:agency", agency)]))
            {
                Extension = [new Extension("urn:sharinghub:fhir:significance", ValueCode: "high")],
                Identifier = [new Identifier($"urn:sharinghub:source-reference:{agency}", $"REF-{i:D6}")],
                Category = [category],
                Code = category,
                Subject = new Reference($"Patient/{child}"),
                EffectiveDateTime = new DateTimeOffset(2026, 1, 1, 9, 0, 0, TimeSpan.Zero).AddDays(i).ToString("yyyy-MM-ddTHH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture),
                Performer = [new Reference(Identifier: new Identifier("urn:sharinghub:agency", agency), Display: name, Type: "Organization")],
                ValueString = "Home visit by social worker; child seen alone and engaged well",
                Note = [new Annotation("Home conditions poor; mother reports rent arrears; next visit in two weeks; school informed of attendance concern")],
            };
            return new BundleEntry($"http://127.0.0.1:5080/fhir/Observation/{id}", observation, new BundleSearch("match"));
        }).ToList();
        return new Bundle("searchset") { Timestamp = "2026-11-29T12:00:00Z", Total = list.Count, Entry = list };
    }
}
