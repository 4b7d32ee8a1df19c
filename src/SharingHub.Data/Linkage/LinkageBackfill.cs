using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SharingHub.Core.Crypto;
using SharingHub.Core.People;
using SharingHub.Data.Storage;

namespace SharingHub.Data.Linkage;

/// <summary>
/// Brings a database written before probabilistic linkage up to date at start-up: each person record without linkage
/// encodings is opened (its sealed fields, in memory only), encoded, and saved; then everyone is linked and the pairs are
/// stored. A record whose keys are gone (erased) stays unencoded and is reached only by the links it had then. Nothing
/// to do on a new or current database, so start-up costs one query there.
/// </summary>
public sealed class LinkageBackfill(IHubDbContextFactory contexts, IFieldCipher cipher, IBlindIndexer indexer, PersonLinker linker, ILogger<LinkageBackfill> logger)
{
    private const int Batch = 500;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var sealer = new PersonSealer(cipher, indexer);
        var encoder = new LinkageEncoder(indexer);
        var encoded = 0;
        var unopened = new List<Guid>();
        while (true)
        {
            await using var db = contexts.Create();
            var batch = await db.People.Include(p => p.Identifiers)
                .Where(p => p.BirthDateIndex != null && p.BirthYearMonthIndex == null && !unopened.Contains(p.Id))
                .OrderBy(p => p.Id).Take(Batch).ToListAsync(cancellationToken);
            if (batch.Count == 0)
            {
                break;
            }
            foreach (var person in batch)
            {
                if (sealer.Open(person) is { } details)
                {
                    PersonSealer.Encode(person, encoder.Encode(details.GivenName, details.FamilyName, details.BirthDate, details.Address));
                    encoded++;
                }
                else
                {
                    unopened.Add(person.Id);
                }
            }
            await db.SaveChangesAsync(cancellationToken);
        }
        await using (var db = contexts.Create())
        {
            if (encoded == 0 && (await db.PersonPairs.AnyAsync(cancellationToken) || await db.People.CountAsync(cancellationToken) < 2))
            {
                return 0;
            }
        }
        var pairs = await linker.LinkAllAsync(cancellationToken);
        logger.LogInformation("Linkage brought up to date: {Encoded} person records encoded, {Pairs} pairs scored", encoded, pairs);
        return encoded;
    }
}
