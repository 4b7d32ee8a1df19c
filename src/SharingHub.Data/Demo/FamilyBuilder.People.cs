using System.Globalization;
using SharingHub.Core.Agencies;
using SharingHub.Core.People;
using SharingHub.Core.Records;

namespace SharingHub.Data.Demo;

internal sealed partial class FamilyBuilder
{
    /// <summary>Each agency writes the person down its own way: nicknames, typos and a swapped day and month, as real records do.</summary>
    private DemoPerson AddRecord(string agency, Individual person, string? address, bool addressConfidential, string? organisation = null)
    {
        var given = person.GivenName;
        if (agency != AgencyCodes.Health && DemoTemplates.Nicknames.TryGetValue(given, out var nickname) && _r.Bool(0.35f))
        {
            given = nickname;
        }
        var family = _r.Bool(0.08f) ? Typo(person.FamilyName) : person.FamilyName;
        var birth = person.BirthDate;
        if (_r.Bool(0.04f) && birth.Day <= 12 && birth.Day != birth.Month)
        {
            birth = new DateOnly(birth.Year, birth.Day, birth.Month);
        }
        var identifiers = new List<DemoIdentifier>();
        switch (agency)
        {
            case AgencyCodes.Health:
                identifiers.Add(new(IdentifierKind.NhsNumber, NhsNumber(person)));
                break;
            case AgencyCodes.LocalAuthority:
                identifiers.Add(new(IdentifierKind.LaPersonId, _r.Number(100_000, 9_999_999).ToString(CultureInfo.InvariantCulture)));
                break;
            case AgencyCodes.Education:
                // A UPN is the pupil's for life: a school they have left (organisation given) holds the one they have now.
                // One is drawn either way, so everything generated after it stays as it was.
                var upn = Upn();
                identifiers.Add(new(IdentifierKind.Upn, organisation is not null && _records.TryGetValue((agency, person.Key), out var onRoll)
                    ? onRoll.Identifiers.First(i => i.Kind == IdentifierKind.Upn).Value
                    : upn));
                break;
            case AgencyCodes.Police:
                identifiers.Add(new(IdentifierKind.PncId, PncId()));
                break;
            case AgencyCodes.Probation:
                identifiers.Add(new(IdentifierKind.Crn, $"{(char)('A' + _r.Number(0, 25))}{_r.Number(0, 999_999):D6}"));
                break;
        }
        var recorded = _r.Bool(0.9f) ? address : null;
        var record = new DemoPerson(NewId(), person.Key, agency, person.Kind, given, family, birth, person.Sex,
            recorded, identifiers, recorded is not null && addressConfidential, organisation ?? OrganisationOf(agency));
        _people.Add(record);
        if (organisation is null)
        {
            _records[(agency, person.Key)] = record;
        }
        return record;
    }

    /// <summary>
    /// Each school, NHS trust and GP practice is its own controller (policies/organisations.yaml): a family's children are on
    /// the roll of one of two schools and its health records are held by the hospital trust or the GP practice, by family.
    /// Every other sector's records are its default organisation's. The first family's are Hillside's and Northgate's.
    /// </summary>
    private string? OrganisationOf(string agency) => agency switch
    {
        AgencyCodes.Education => _index % 2 == 0 ? DemoOrganisations.HillsideSchool : DemoOrganisations.RiversideSchool,
        AgencyCodes.Health => _index % 2 == 0 ? DemoOrganisations.NorthgateTrust : DemoOrganisations.RiversidePractice,
        _ => null,
    };

    private string Typo(string name)
    {
        if (name.Length < 4)
        {
            return name;
        }
        var i = _r.Number(1, name.Length - 2);
        var chars = name.ToCharArray();
        if (_r.Bool())
        {
            (chars[i], chars[i + 1]) = (chars[i + 1], chars[i]);
            return new string(chars);
        }
        return name.Remove(i, 1);
    }

    /// <summary>
    /// The individual's own NHS number (SyntheticNhsNumbers), the same in every health record of theirs and no one else's: six
    /// places a family (mother, father, up to four children). A number is still drawn from the family's random stream as it
    /// was, and not used, so everything generated after it stays as it was.
    /// </summary>
    private string NhsNumber(Individual person)
    {
        while (AgencyIdentifiers.NhsCheckDigit("999" + _r.Number(0, 999_999).ToString("D6", CultureInfo.InvariantCulture)) < 0)
        {
        }
        var role = person.Key[(person.Key.IndexOf('-', StringComparison.Ordinal) + 1)..];
        var place = role switch
        {
            "mother" => 0,
            "father" => 1,
            _ => 2 + int.Parse(role["child".Length..], CultureInfo.InvariantCulture),
        };
        return SyntheticNhsNumbers.Nth(((long)_index * PlacesPerFamily) + place);
    }

    /// <summary>Mother, father and at most four children (MakeIndividuals).</summary>
    private const int PlacesPerFamily = 6;

    private string Upn()
    {
        var body = string.Create(CultureInfo.InvariantCulture,
            $"{_r.Number(800, 899)}{_r.Number(2000, 4999)}{_r.Number(10, 25):D2}{_r.Number(0, 999):D3}");
        return AgencyIdentifiers.UpnCheckLetter(body) + body;
    }

    private string PncId()
    {
        var year = _r.Number(2005, 2025).ToString(CultureInfo.InvariantCulture);
        var serial = _r.Number(0, 9_999_999).ToString("D7", CultureInfo.InvariantCulture);
        return $"{year}/{serial}{AgencyIdentifiers.PncCheckLetter(year.AsSpan(2), serial)}";
    }

    private List<DemoHousehold> MakeHouseholds(List<Individual> individuals, string address, bool inRefuge)
    {
        // The LA knows the whole household; in a refuge the father is not a member and the address is confidential.
        var members = individuals
            .Where(i => !(inRefuge && i.Role == "father"))
            .Select(i => (Record(AgencyCodes.LocalAuthority, i).Id, i.Role))
            .ToList();
        return [new DemoHousehold(NewId(), AgencyCodes.LocalAuthority, $"HH-{Reference()}", address, inRefuge, members)];
    }

    private List<DemoRelationship> MakeRelationships(List<Individual> individuals)
    {
        var relationships = new List<DemoRelationship>();
        var adults = individuals.Where(i => i.Kind == PersonKind.Adult).ToList();
        var children = individuals.Where(i => i.Kind == PersonKind.Child).ToList();
        foreach (var adult in adults)
        {
            foreach (var child in children)
            {
                relationships.Add(new DemoRelationship(NewId(), AgencyCodes.LocalAuthority, Record(AgencyCodes.LocalAuthority, adult).Id,
                    Record(AgencyCodes.LocalAuthority, child).Id, RelationshipKind.ParentOf, HasParentalResponsibility: adult.Role == "mother" || _r.Bool(0.7f)));
            }
        }
        if (adults.Count == 2)
        {
            relationships.Add(new DemoRelationship(NewId(), AgencyCodes.LocalAuthority, Record(AgencyCodes.LocalAuthority, adults[0]).Id,
                Record(AgencyCodes.LocalAuthority, adults[1]).Id, RelationshipKind.PartnerOf, false));
        }
        for (var a = 0; a < children.Count; a++)
        {
            for (var b = a + 1; b < children.Count; b++)
            {
                relationships.Add(new DemoRelationship(NewId(), AgencyCodes.LocalAuthority, Record(AgencyCodes.LocalAuthority, children[a]).Id,
                    Record(AgencyCodes.LocalAuthority, children[b]).Id, RelationshipKind.SiblingOf, false));
            }
        }
        return relationships;
    }
}
