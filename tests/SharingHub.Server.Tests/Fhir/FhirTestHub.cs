using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Server.Identity;
using SharingHub.Testing;

namespace SharingHub.Server.Tests.Fhir;

/// <summary>One child as three agencies record it, in an open section 47 enquiry, made fresh for each test.</summary>
internal sealed record CaseRecords(Person LaChild, Person PoliceChild, Person HealthChild, Enquiry Enquiry, ChronologyEvent PoliceIncident,
    ChronologyEvent HealthContact, ChronologyEvent LaVisit);

/// <summary>The hub on one engine, with development sign-in, a FHIR client and builders for test records.</summary>
internal sealed class FhirTestHub : IAsyncDisposable
{
    private readonly TestDatabase _database;
    private readonly HubFactory _hub;
    private readonly bool _ownsDatabase;

    private FhirTestHub(TestDatabase database, IReadOnlyDictionary<string, string?>? settings, bool ownsDatabase, TimeProvider? clock = null, int? port = null,
        Action<IServiceCollection>? services = null)
    {
        _database = database;
        _ownsDatabase = ownsDatabase;
        var all = new Dictionary<string, string?> { ["SharingHub:Identity:DevelopmentIdentityProvider"] = "true" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        if (port is { } listening)
        {
            BaseUrl = $"http://127.0.0.1:{listening}";
            all["SharingHub:Identity:PublicBaseUrl"] = BaseUrl;
        }
        _hub = new HubFactory(database, settings: all, clock: clock, services: services);
        if (port is { } kestrel)
        {
            // A real listener, for a real browser.
            _hub.UseKestrel(kestrel);
            _hub.StartServer();
        }
        Client = _hub.CreateFhirClient();
        Builder = new RecordBuilder(Services.GetRequiredService<IFieldCipher>(), Services.GetRequiredService<IBlindIndexer>());
    }

    public HttpClient Client { get; }
    public RecordBuilder Builder { get; }
    public IServiceProvider Services => _hub.Services;
    public IRecordStore Store => Services.GetRequiredService<IRecordStore>();
    public IHubDbContextFactory Contexts => Services.GetRequiredService<IHubDbContextFactory>();

    /// <summary>Stores a link between two records of one person, as record linkage would have decided it.</summary>
    public async Task LinkAsync(Person a, Person b)
    {
        var (first, second) = Data.Linkage.PersonPair.Ordered(a.Id, b.Id);
        await using var db = Contexts.Create();
        db.PersonPairs.Add(new Data.Linkage.PersonPair
        {
            Id = Guid.NewGuid(), PersonA = first, PersonB = second, Outcome = Data.Linkage.PairOutcome.Link, State = Data.Linkage.PairState.Automatic, ScoredAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync();
    }

    public static async Task<FhirTestHub> StartAsync(DatabaseEngine engine, IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? clock = null,
        Action<IServiceCollection>? services = null) =>
        new(await TestDatabase.CreateAsync(engine), settings, ownsDatabase: true, clock, services: services);

    /// <summary>The hub listening on a loopback port (Kestrel), for a browser to use; BaseUrl says where.</summary>
    public static async Task<FhirTestHub> StartListeningAsync(DatabaseEngine engine, IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? clock = null) =>
        new(await TestDatabase.CreateAsync(engine), settings, ownsDatabase: true, clock, Loopback.FreePort());

    /// <summary>One more hub node listening on its own loopback port over a database another hub owns: several nodes of one hub.</summary>
    public static FhirTestHub ListeningOver(TestDatabase database, IReadOnlyDictionary<string, string?>? settings = null) =>
        new(database, settings, ownsDatabase: false, port: Loopback.FreePort());

    public string BaseUrl { get; } = "http://localhost";

    /// <summary>Another hub process's view of the same database (a restart), which leaves the database to its owner.</summary>
    public static FhirTestHub Over(TestDatabase database, IReadOnlyDictionary<string, string?>? settings = null) => new(database, settings, ownsDatabase: false);

    public TestDatabase Database => _database;

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? user, string? purpose = null, Guid? enquiry = null,
        HttpContent? content = null, Action<HttpRequestMessage>? change = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (user is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Services.GetRequiredService<DevelopmentIdentityProvider>().IssueFor(user));
        }
        if (purpose is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Purpose-Of-Use", purpose);
        }
        if (enquiry is { } e)
        {
            request.Headers.TryAddWithoutValidation("X-Enquiry-Id", e.ToString());
        }
        change?.Invoke(request);
        return await Client.SendAsync(request);
    }

    public Task<HttpResponseMessage> GetAsync(string path, string? user, string? purpose = null, Guid? enquiry = null) =>
        SendAsync(HttpMethod.Get, path, user, purpose, enquiry);

    /// <summary>A read by the front door under front-door-triage for the referral it is triaging (X-Referral-Id).</summary>
    public Task<HttpResponseMessage> TriageAsync(string path, string user, Guid referral) =>
        SendAsync(HttpMethod.Get, path, user, "front-door-triage", change: r => r.Headers.TryAddWithoutValidation("X-Referral-Id", referral.ToString()));

    /// <summary>A referral to the front door about the person, by the agency that holds their record; undecided unless a decision is given.</summary>
    public Task<Referral> ReferralAsync(Person subject, DateTimeOffset? decidedAt = null) => ReferralAsync(subject.Id, subject.OwningAgency, decidedAt);

    /// <summary>A referral about a person record by the agency (and, where it holds the record, the organisation) that holds it.</summary>
    public async Task<Referral> ReferralAsync(Guid subjectId, string agency, DateTimeOffset? decidedAt = null)
    {
        var now = Services.GetRequiredService<TimeProvider>().GetUtcNow();
        var holder = await Store.FindAsync<Person>(subjectId, CancellationToken.None);
        var referral = new Referral
        {
            Id = Guid.NewGuid(), OwningAgency = agency, OwningOrganisation = holder?.OwningAgency == agency ? holder.OwningOrganisation : agency,
            DataClass = "referral", SubjectPersonId = subjectId,
            ReceivedAt = now.AddHours(-2), DecisionDueAt = now.AddHours(22),
            Decision = decidedAt is null ? null : ReferralDecision.Section47Enquiry, DecidedAt = decidedAt,
        };
        referral.Concern = Services.GetRequiredService<Core.Crypto.IFieldCipher>().Encrypt("Bruising seen at school",
            Core.Crypto.SensitiveFields.For(referral, nameof(Referral.Concern)));
        return await Store.AddAsync(referral, CancellationToken.None);
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    /// <summary>
    /// A child known to the council, police and health (Northgate trust, where demo-health-practitioner works) under different
    /// identifiers, in an open enquiry with LCPP, police and education members.
    /// </summary>
    public async Task<CaseRecords> CaseAsync(string family = "Fhirtest", string birthDate = "2016-05-14")
    {
        var ct = CancellationToken.None;
        var la = await Store.AddAsync(Builder.Person("la", "Mia", family, birthDate, IdentifierKind.LaPersonId, Random7()), ct);
        var police = await Store.AddAsync(Builder.Person("police", "Mia", family, birthDate, IdentifierKind.PncId, "2019/0012345" + Core.People.AgencyIdentifiers.PncCheckLetter("19", "0012345")), ct);
        var healthRecord = Builder.Person("health", "Amelia", family, birthDate, IdentifierKind.NhsNumber, "9990000026");
        healthRecord.OwningOrganisation = NorthgateTrust;
        var health = await Store.AddAsync(healthRecord, ct);
        var at = new DateTimeOffset(2026, 9, 1, 10, 0, 0, TimeSpan.Zero);
        var incident = await Store.AddAsync(Builder.Event(police, "police", "Officers attended a report of shouting", at.AddDays(10), "NICHE-" + Random7(),
            "police.incident", "Neighbour reported shouting; two adults present; child seen and well", "domestic-abuse-incident"), ct);
        var contactRecord = Builder.Event(health, "health", "Missed immunisation appointment", at.AddDays(2), "SYS1-" + Random7(),
            "health.clinical", "Third missed appointment this year", "missed-appointment");
        contactRecord.OwningOrganisation = NorthgateTrust;
        var contact = await Store.AddAsync(contactRecord, ct);
        var visit = await Store.AddAsync(Builder.Event(la, "la", "Home visit by social worker", at.AddDays(20), "MOS-" + Random7(),
            "la.social-care", "Home conditions poor; child engaged well", "home-visit"), ct);
        var enquiry = await Store.AddAsync(new Enquiry
        {
            Id = Guid.NewGuid(), OwningAgency = "la", DataClass = "enquiry", Reference = "S47-T-" + Random7(), Status = EnquiryStatus.Open,
            OpenedAt = at, LeadPractitioner = "demo-la-lcpp",
            Members =
            [
                Member("la", "demo-la-lcpp", "lcpp", at), Member("police", "demo-police-officer", "police", at), Member("education", "demo-education-lead", "education", at),
            ],
        }.WithSubject(la.Id), ct);
        return new CaseRecords(la, police, health, enquiry, incident, contact, visit);
    }

    /// <summary>The NHS trust demo-health-practitioner, demo-health-nurse and demo-northgate-ig work for.</summary>
    public const string NorthgateTrust = "trust-northgate";

    private static EnquiryMember Member(string agency, string subject, string role, DateTimeOffset at) =>
        new() { Id = Guid.NewGuid(), Agency = agency, UserSubject = subject, Role = role, AddedAt = at };

    private static string Random7() => Random.Shared.Next(1_000_000, 9_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _hub.DisposeAsync();
        if (_ownsDatabase)
        {
            await _database.DisposeAsync();
        }
    }
}

internal static class EnquiryBuilding
{
    public static Enquiry WithSubject(this Enquiry enquiry, Guid personId)
    {
        enquiry.Subjects.Add(new EnquirySubject { EnquiryId = enquiry.Id, PersonId = personId, Role = "child" });
        foreach (var m in enquiry.Members)
        {
            m.EnquiryId = enquiry.Id;
        }
        return enquiry;
    }
}

/// <summary>A test class with a fresh hub on one engine per test (xunit makes a new instance for each).</summary>
public abstract class HubTest(DatabaseEngine engine) : IAsyncLifetime
{
    private protected FhirTestHub Hub { get; private set; } = null!;

    public async Task InitializeAsync() => Hub = await FhirTestHub.StartAsync(engine);

    public async Task DisposeAsync() => await Hub.DisposeAsync();
}
