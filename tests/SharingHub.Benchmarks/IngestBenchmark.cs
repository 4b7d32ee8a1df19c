using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Crypto;
using SharingHub.Core.People;
using SharingHub.Core.Records;
using SharingHub.Data.Demo;
using SharingHub.Data.Storage;
using SharingHub.Testing;

namespace SharingHub.Benchmarks;

/// <summary>
/// Ingestion: FHIR transaction bundles (a patient and its events) posted to the running hub, which
/// validates, encrypts, indexes and audits them, against plain batched inserts of the same rows, sealed
/// beforehand, straight into the same database.
/// </summary>
internal static class IngestBenchmark
{
    private const int EventsPerBundle = 49;

    /// <summary>How many rounds to time (<c>ingest --rounds N</c>): more, to attach a profiler such as dotnet-trace to the hub meanwhile.</summary>
    public static int? Rounds { get; set; }

    /// <summary>
    /// <c>ingest --nhs-of-others</c>: each bundle's patient carries the NHS number of an unrelated person the demo holds (another
    /// family's), as a mistyped number would. Linkage then scores the patient against that person, whose names and birth month
    /// are new to its term counts. Demo people drawn their numbers at random (before the numbers were one per person) met the
    /// benchmark's own in this way: at 10 million events about a third of the bundles.
    /// </summary>
    public static bool OthersNumbers { get; set; }

    public static async Task RunAsync(Report report, TestDatabase database, HttpClient http, string token, string size, DemoOptions demo, bool smoke)
    {
        // Spread over the whole population, a family apart from the last one used for each.
        var others = OthersNumbers ? OthersNhsNumbers(demo) : null;
        // The bundles and the plain inserts are timed in turns (ten of each, eight times, each first in half of them), so that the machine's drift
        // over the measurement falls on both alike: timed one after the other, the plain inserts' rate varied 2x between
        // runs of the same code while the bundles' did not, and the ratio with it.
        var rounds = Rounds ?? (smoke ? 1 : 8);
        var perRound = smoke ? 2 : 10;
        var serial = 0;
        await using var services = await database.StartServicesAsync();
        var cipher = services.GetRequiredService<IFieldCipher>();
        var sealer = new PersonSealer(cipher, services.GetRequiredService<IBlindIndexer>());
        var contexts = services.GetRequiredService<IHubDbContextFactory>();
        // Two bundles and one plain batch first, untimed, so each write path is compiled before it is measured (as the reads are warmed up).
        for (var b = 0; b < 2; b++)
        {
            await PostAsync(http, token, Bundle(ref serial, others));
        }
        await InsertAsync(contexts, Rows(sealer, cipher, ref serial));
        var securedTime = TimeSpan.Zero;
        var plainTime = TimeSpan.Zero;
        // Each timed bundle's own time: whether a slow rate is every bundle a little slower or a few very slow ones.
        var each = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            var bundles = Enumerable.Range(0, perRound).Select(_ => Bundle(ref serial, others)).ToList();
            var batches = Enumerable.Range(0, perRound).Select(_ => Rows(sealer, cipher, ref serial)).ToList();
            // Which goes first alternates, so neither always follows the other's writes (a checkpoint they set off).
            for (var turn = 0; turn < 2; turn++)
            {
                var clock = Stopwatch.StartNew();
                if ((turn + round) % 2 == 0)
                {
                    foreach (var bundle in bundles)
                    {
                        var one = Stopwatch.GetTimestamp();
                        await PostAsync(http, token, bundle);
                        each.Add(Stopwatch.GetElapsedTime(one).TotalMilliseconds);
                    }
                    securedTime += clock.Elapsed;
                }
                else
                {
                    foreach (var batch in batches)
                    {
                        await InsertAsync(contexts, batch);
                    }
                    plainTime += clock.Elapsed;
                }
            }
        }
        var rows = rounds * perRound * (EventsPerBundle + 1);
        var secured = rows / securedTime.TotalSeconds;
        var plain = rows / plainTime.TotalSeconds;
        // Where a bundle's time goes: a few more, with the hub's profiler on.
        await HttpBenchmark.ProfileAsync(report, http, $"{size}: FHIR transaction bundle (1 patient + {EventsPerBundle} events)", 3, async () =>
        {
            for (var b = 0; b < 3; b++)
            {
                await PostAsync(http, token, Bundle(ref serial, others));
            }
        });
        report.Add(new Figure("ingest", $"{size}: plain batched inserts of sealed rows (baseline)", plain, null, 1, "itself"));
        report.Add(new Figure("ingest", $"{size}: FHIR transaction bundles (1 patient + {EventsPerBundle} events), validated, encrypted, indexed, audited", secured, null,
            secured / plain, "plain inserts, timed in turns (share of their rate)", Kind.Ingest));
        each.Sort();
        double At(double share) => each[Math.Min(each.Count - 1, (int)(share * each.Count))];
        report.Add(new Figure("ingest", string.Create(CultureInfo.InvariantCulture,
            $"{size}: each timed bundle, p50 {At(0.5):F1} ms, p95 {At(0.95):F1} ms, slowest {each[^1]:F1} ms of {each.Count}"), 1000 / At(0.5), null,
            each[^1] / At(0.5), "the slowest against the p50"));
    }

    private static async Task PostAsync(HttpClient http, string token, string bundle)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/fhir") { Content = new StringContent(bundle, Encoding.UTF8, "application/fhir+json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"transaction answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static async Task InsertAsync(IHubDbContextFactory contexts, (Person Person, List<ChronologyEvent> Events) batch)
    {
        await using var db = contexts.Create();
        db.People.Add(batch.Person);
        db.Events.AddRange(batch.Events);
        // The same write path the hub's save uses for a bundle's events (one prepared statement per table), so the baseline
        // is the fastest plain insert of these rows, not EF's command per row.
        await db.SaveUnitOfWorkAsync(CancellationToken.None);
    }

    /// <summary>Health's NHS numbers of demo people, one per family, from families spread evenly over the demo.</summary>
    private static IEnumerator<string> OthersNhsNumbers(DemoOptions demo)
    {
        var generator = new DemoGenerator(demo);
        // From the second family: the first is the showcase (its mother's health record erased, its child the chronology read).
        for (var n = 1; ; n++)
        {
            var family = generator.GenerateFamily((int)((n * 7_919L) % demo.Families));
            yield return family.People.Where(p => p.Agency == "health").SelectMany(p => p.Identifiers).First(i => i.Kind == IdentifierKind.NhsNumber).Value;
        }
    }

    private static string Bundle(ref int serial, IEnumerator<string>? others)
    {
        var nhs = others is not null && others.MoveNext() ? others.Current : SyntheticNhsNumbers.NthFromTop(serial);
        serial++;
        var patientUrl = $"urn:uuid:{Guid.NewGuid()}";
        var entries = new List<object>
        {
            new
            {
                fullUrl = patientUrl,
                resource = new
                {
                    resourceType = "Patient",
                    identifier = new[] { new { system = "https://fhir.nhs.uk/Id/nhs-number", value = nhs } },
                    name = new[] { new { family = "Ingest", given = new[] { "Bench" } } },
                    birthDate = "2015-06-01",
                    gender = "female",
                    address = new[] { new { text = "1 Bench Street, Testtown TE1 1ST" } },
                },
                request = new { method = "POST", url = "Patient" },
            },
        };
        for (var e = 0; e < EventsPerBundle; e++)
        {
            entries.Add(new
            {
                resource = new
                {
                    resourceType = "Observation",
                    meta = new { tag = new[] { new { system = "urn:sharinghub:data-class", code = "health.clinical" } } },
                    identifier = new[] { new { system = "urn:sharinghub:source-reference:health", value = $"BENCH-{serial}-{e}-{Guid.NewGuid():N}" } },
                    status = "final",
                    category = new[] { new { coding = new[] { new { system = "urn:sharinghub:event-category", code = "hospital-attendance" } } } },
                    code = new { text = "Attendance" },
                    subject = new { reference = patientUrl },
                    effectiveDateTime = "2026-10-01T09:30:00Z",
                    valueString = "Attended the emergency department with a minor injury",
                    note = new[] { new { text = "Seen and discharged; safeguarding questions asked and answered" } },
                },
                request = new { method = "POST", url = "Observation" },
            });
        }
        return JsonSerializer.Serialize(new { resourceType = "Bundle", type = "transaction", entry = entries });
    }

    private static (Person Person, List<ChronologyEvent> Events) Rows(PersonSealer sealer, IFieldCipher cipher, ref int serial)
    {
        var person = new Person { Id = Guid.NewGuid(), OwningAgency = "health", DataClass = "person.demographics", CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow, Version = 1 };
        sealer.Seal(person, new PersonDetails(PersonKind.Child, "Bench", "Ingest", new DateOnly(2015, 6, 1), "female", "1 Bench Street, Testtown TE1 1ST",
            [(IdentifierKind.NhsNumber, SyntheticNhsNumbers.NthFromTop(serial++))]));
        var batch = serial;
        var events = Enumerable.Range(0, EventsPerBundle).Select(e =>
        {
            var ev = new ChronologyEvent
            {
                Id = Guid.NewGuid(), OwningAgency = "health", DataClass = "health.clinical", OccurredAt = new DateTimeOffset(2026, 10, 1, 9, 30, 0, TimeSpan.Zero),
                Category = "hospital-attendance", Significance = Significance.Medium, SourceReference = $"PLAIN-{batch}-{e}-{Guid.NewGuid():N}",
                CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow, Version = 1,
            };
            ev.Subjects = [new EventSubject { EventId = ev.Id, PersonId = person.Id }];
            ev.Summary = cipher.Encrypt("Attended the emergency department with a minor injury", SensitiveFields.For(ev, nameof(ChronologyEvent.Summary)));
            ev.Detail = cipher.Encrypt("Seen and discharged; safeguarding questions asked and answered", SensitiveFields.For(ev, nameof(ChronologyEvent.Detail)));
            return ev;
        }).ToList();
        return (person, events);
    }
}
