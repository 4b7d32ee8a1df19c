using Bogus;
using SharingHub.Core.Agencies;
using SharingHub.Core.Records;

namespace SharingHub.Data.Demo;

public sealed record DemoOptions
{
    public int Seed { get; init; } = 20261122;
    public int Families { get; init; } = 8;

    /// <summary>On average; each family gets between half and one and a half times this many.</summary>
    public int EventsPerFamily { get; init; } = 60;

    /// <summary>"Now" for the synthetic world; fixed so that the same seed gives the same data on any day.</summary>
    public DateTimeOffset Anchor { get; init; } = new(2026, 11, 1, 9, 0, 0, TimeSpan.Zero);

    /// <summary>Roughly <paramref name="events"/> events, in families of about a hundred events each (for benchmarks).</summary>
    public static DemoOptions ForEventCount(int events, int seed) =>
        new() { Seed = seed, Families = Math.Max(1, events / 100), EventsPerFamily = 100 };
}

/// <summary>
/// Deterministic synthetic families across all five agencies. Each family has its own seed derived
/// from the run's seed and its index, so any family can be regenerated alone, in any order.
/// </summary>
public sealed class DemoGenerator(DemoOptions options)
{
    public IEnumerable<DemoFamily> Generate()
    {
        for (var i = 0; i < options.Families; i++)
        {
            yield return GenerateFamily(i);
        }
    }

    public DemoFamily GenerateFamily(int index)
    {
        var familySeed = unchecked((options.Seed * 1_000_003) + (index * 7_919));
        return new FamilyBuilder(new Randomizer(familySeed), index, options).Build();
    }
}

internal sealed record Individual(string Key, PersonKind Kind, string GivenName, string FamilyName, DateOnly BirthDate, string Sex, string Role)
{
    public int AgeAt(DateOnly day) => day.Year - BirthDate.Year - (day.DayOfYear < BirthDate.DayOfYear ? 1 : 0);
}

internal sealed partial class FamilyBuilder
{
    private readonly Randomizer _r;
    private readonly Faker _faker;
    private readonly int _index;
    private readonly DemoOptions _options;
    private readonly DateOnly _today;
    private readonly List<DemoPerson> _people = [];
    private readonly Dictionary<(string Agency, string Key), DemoPerson> _records = [];

    public FamilyBuilder(Randomizer random, int index, DemoOptions options)
    {
        _r = random;
        _faker = new Faker("en_GB") { Random = random };
        _index = index;
        _options = options;
        _today = DateOnly.FromDateTime(options.Anchor.UtcDateTime);
    }

    public DemoFamily Build()
    {
        var individuals = MakeIndividuals();
        var address = $"{_faker.Address.StreetAddress()}, {_faker.Address.City()} {_faker.Address.ZipCode()}";
        var inRefuge = _r.Bool(0.1f) || Showcase;
        var probationKey = individuals.FirstOrDefault(i => i.Role == "father" && _r.Bool(0.4f))?.Key;

        foreach (var person in individuals)
        {
            // In a refuge, every agency records the family's address as a protected detail, and nobody
            // records it against the father the family fled (the refuge household leaves him out too).
            var fled = inRefuge && person.Role == "father";
            var personAddress = fled ? null : address;
            var confidential = inRefuge && !fled;
            AddRecord(AgencyCodes.LocalAuthority, person, personAddress, confidential);
            AddRecord(AgencyCodes.Health, person, personAddress, confidential);
            var age = person.AgeAt(_today);
            if (person.Kind == PersonKind.Child && age is >= 4 and <= 17)
            {
                AddRecord(AgencyCodes.Education, person, personAddress, confidential);
            }
            // Police hold records of children who were present at incidents or went missing, not only of adults.
            var knownToPolice = person.Kind == PersonKind.Adult
                ? _r.Bool(person.Role == "father" ? 0.75f : 0.4f)
                : _r.Bool(age >= 10 ? 0.5f : 0.3f);
            if (knownToPolice || person.Key == probationKey || (Showcase && person.Role == "mother"))
            {
                AddRecord(AgencyCodes.Police, person, personAddress, confidential);
            }
            if (person.Key == probationKey)
            {
                AddRecord(AgencyCodes.Probation, person, personAddress, confidential);
            }
        }

        var households = MakeHouseholds(individuals, address, inRefuge);
        var relationships = MakeRelationships(individuals);
        var involvements = new List<DemoInvolvement>();
        var states = new List<DemoState>();
        MakeInvolvementsAndStates(individuals, probationKey, involvements, states);
        var events = MakeEvents(individuals);
        var consents = MakeConsents(individuals);
        var enquiries = MakeEnquiries(individuals);
        var referrals = MakeReferrals(individuals);
        var erasures = new List<DemoErasure>();
        if (Showcase)
        {
            Showcased(individuals, events, consents, erasures);
        }
        return new DemoFamily(_index, _people, households, relationships, involvements, states, events, consents, enquiries, referrals, erasures);
    }

    private List<Individual> MakeIndividuals()
    {
        var familyName = _faker.Name.LastName();
        var individuals = new List<Individual>();
        var motherAge = _r.Number(20, 44);
        var mother = new Individual(Key("mother"), PersonKind.Adult, _faker.Name.FirstName(Bogus.DataSets.Name.Gender.Female),
            familyName, BirthDate(motherAge), "female", "mother");
        individuals.Add(mother);
        if (_r.Bool(0.7f))
        {
            var fatherName = _r.Bool(0.4f) ? _faker.Name.LastName() : familyName;
            individuals.Add(new Individual(Key("father"), PersonKind.Adult, _faker.Name.FirstName(Bogus.DataSets.Name.Gender.Male),
                fatherName, BirthDate(motherAge + _r.Number(-3, 8)), "male", "father"));
        }
        var children = _r.Number(1, 4);
        for (var c = 0; c < children; c++)
        {
            var boy = _r.Bool();
            var age = _r.Number(0, Math.Min(17, motherAge - 17));
            individuals.Add(new Individual(Key($"child{c}"), PersonKind.Child, _r.ListItem(boy ? DemoTemplates.BoyNames.ToList() : DemoTemplates.GirlNames.ToList()),
                familyName, BirthDate(age), boy ? "male" : "female", "child"));
        }
        return individuals;
    }

    private string Key(string role) => $"F{_index:D6}-{role}";

    /// <summary>
    /// The first family (always in an open enquiry) shows what the policy does, whatever the seed: it lives
    /// in a refuge (its address reaches only the LCPP), the mother is the subject of police intelligence (the
    /// LCPP sees its summary, other members nothing) and of a mental-health contact (detail for health only),
    /// one child's family refused consent to share, and the mother's health record has been erased.
    /// </summary>
    private bool Showcase => _index == 0;

    private void Showcased(List<Individual> individuals, List<DemoEvent> events, List<DemoConsent> consents, List<DemoErasure> erasures)
    {
        var mother = individuals.First(i => i.Role == "mother");
        var child = individuals.First(i => i.Kind == PersonKind.Child);
        var reference = Reference();
        foreach (var category in new[] { "intelligence", "mental-health-contact" })
        {
            var template = DemoTemplates.Events.First(t => t.Category == category);
            events.Add(MakeEvent(template, child, mother, reference, events.Count, [mother]));
        }
        events.Sort((a, b) => a.OccurredAt.CompareTo(b.OccurredAt));
        if (!consents.Any(c => c.Decision == ConsentDecision.Deny && c.Status == ConsentStatus.Active))
        {
            consents.Add(Consent(mother, child, refused: true, withdrawn: false));
        }
        erasures.Add(new DemoErasure(Record(AgencyCodes.Health, mother).Id, "erasure request upheld by the health record's controller (demo)"));
        MovedSchool(individuals, events);
    }

    /// <summary>
    /// One child of the first family moved school: Riverside Academy, where they were on roll until last year, keeps its own
    /// record of them and what it recorded then (a controller of its own; Hillside, the school now, reads it only by a rule).
    /// </summary>
    private void MovedSchool(List<Individual> individuals, List<DemoEvent> events)
    {
        if (individuals.FirstOrDefault(i => i.Kind == PersonKind.Child && Has(AgencyCodes.Education, i)) is not { } pupil)
        {
            return;
        }
        var now = Record(AgencyCodes.Education, pupil);
        var then = AddRecord(AgencyCodes.Education, pupil, now.Address, now.AddressConfidential, DemoOrganisations.RiversideSchool);
        var reference = Reference();
        foreach (var (category, daysAgo) in new[] { ("attendance-concern", 500), ("safeguarding-concern", 420) })
        {
            var template = DemoTemplates.Events.First(t => t.Category == category);
            var detail = template.Detail.Replace("{child}", then.GivenName, StringComparison.Ordinal).Replace("{adult}", "a parent", StringComparison.Ordinal)
                .Replace("{place}", "the school", StringComparison.Ordinal);
            var summary = template.Summary.Replace("{child}", then.GivenName, StringComparison.Ordinal).Replace("{adult}", "a parent", StringComparison.Ordinal)
                .Replace("{place}", "the school", StringComparison.Ordinal);
            events.Add(new DemoEvent(NewId(), AgencyCodes.Education, template.DataClass, new DateTimeOffset(_options.Anchor.AddDays(-daysAgo).Date, TimeSpan.Zero).AddHours(10), category,
                template.High, summary, detail, $"{DemoOrganisations.RiversideSchool}-{reference}-{events.Count:D5}", [then.Id], DemoOrganisations.RiversideSchool));
        }
        events.Sort((a, b) => a.OccurredAt.CompareTo(b.OccurredAt));
    }

    private DateOnly BirthDate(int age) => _today.AddYears(-age).AddDays(-_r.Number(0, 364));

    private DateTimeOffset DaysAgo(int maxDays, bool atNight = false)
    {
        var day = _options.Anchor.AddDays(-_r.Number(1, maxDays)).Date;
        var hour = atNight ? _r.ArrayElement(new[] { 0, 1, 2, 3, 21, 22, 23 }) : _r.Number(8, 18);
        return new DateTimeOffset(day, TimeSpan.Zero).AddHours(hour).AddMinutes(_r.Number(0, 59));
    }

    private Guid NewId()
    {
        var bytes = _r.Bytes(16);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    /// <summary>A case reference that differs between seeds, so several demo sets can share one database.</summary>
    private string Reference() => Convert.ToHexString(_r.Bytes(5));

    private DemoPerson Record(string agency, Individual person) => _records[(agency, person.Key)];

    private bool Has(string agency, Individual person) => _records.ContainsKey((agency, person.Key));
}
