using Microsoft.EntityFrameworkCore;
using SharingHub.Core.Records;
using SharingHub.Data.Storage;
using SharingHub.Server.Access;

namespace SharingHub.Server.Pages;

/// <summary>A person of a case as the reader may see their record: a name or date withheld by the rules stays unknown to the page.</summary>
public sealed record CasePerson(Guid Id, string? Name, string? BirthDate, bool Visible, IReadOnlyList<string> Withheld);

internal static class CasePeople
{
    /// <summary>Each subject's own record, decided like any read under the page's purpose; one the reader may not see is named as such.</summary>
    public static async Task<Dictionary<Guid, CasePerson>> NamesAsync(RecordAccess access, IHubDbContextFactory contexts, IReadOnlyList<Guid> ids, CancellationToken ct)
    {
        await using var db = contexts.Create();
        var people = await db.People.AsNoTracking().ReachableBy(access).Where(p => ids.Contains(p.Id)).ToListAsync(ct);
        await access.PrepareAsync(ids, ct);
        var shown = ids.ToDictionary(id => id, id => new CasePerson(id, null, null, false, []));
        foreach (var (person, decision) in access.Permitted(people))
        {
            var d = access.Disclose(person, decision);
            var given = d.Open(nameof(Person.GivenName), person.GivenName);
            var family = d.Open(nameof(Person.FamilyName), person.FamilyName);
            var name = string.Join(' ', new[] { given, family }.Where(n => n is not null));
            var born = d.Open(nameof(Person.BirthDate), person.BirthDate);
            shown[person.Id] = new CasePerson(person.Id, name.Length == 0 ? null : name,
                DateOnly.TryParseExact(born, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var date)
                    ? (person.Kind == PersonKind.Unborn ? "unborn, expected " : "") + date.ToString("d MMMM yyyy", System.Globalization.CultureInfo.InvariantCulture) : born, true,
                d.Withheld.Concat(d.Unavailable).ToList());
        }
        return shown;
    }
}
