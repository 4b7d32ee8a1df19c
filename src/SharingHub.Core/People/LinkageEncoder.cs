using System.Globalization;
using System.Numerics;
using SharingHub.Core.Crypto;

namespace SharingHub.Core.People;

/// <summary>
/// What linkage may compare of a person, made at write time from the plaintext and kept instead of it: keyed blind
/// indexes for equality (a name, its phonetic code, a given name's formal form, the birth date and its day and month
/// swapped, year and month, the postcode and its sector) and keyed Bloom filters of each name's bigrams for similarity
/// (a cryptographic long-term key encoding, as clkhash makes). Without the hub's index key none of it says a name.
/// </summary>
public sealed record LinkageEncoding(
    byte[]? FamilyPhonetic,
    byte[]? FamilyBloom,
    byte[]? GivenName,
    byte[]? GivenPhonetic,
    byte[]? GivenBloom,
    byte[]? BirthDateSwapped,
    byte[]? BirthYearMonth,
    byte[]? PostcodeSector)
{
    public static readonly LinkageEncoding None = new(null, null, null, null, null, null, null, null);
}

/// <summary>Makes a person's <see cref="LinkageEncoding"/> under the hub's blind-index key (one purpose per kind of value).</summary>
public sealed class LinkageEncoder(IBlindIndexer indexer)
{
    /// <summary>Bits in each name's Bloom filter, and positions each bigram sets (16 from one HMAC-SHA256).</summary>
    public const int BloomBits = 1024;
    public const int PositionsPerBigram = 16;

    public LinkageEncoding Encode(string givenName, string familyName, DateOnly birthDate, string? address)
    {
        var family = NameForms.Normal(familyName);
        var given = NameForms.FormalGivenName(NameForms.Normal(givenName));
        var swapped = birthDate.Day <= 12 && birthDate.Day != birthDate.Month
            ? indexer.Compute(PersonSealer.BirthDatePurpose, new DateOnly(birthDate.Year, birthDate.Day, birthDate.Month).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
            : null;
        var postcode = AgencyIdentifiers.PostcodeIndexForm(address);
        return new LinkageEncoding(
            family.Length == 0 ? null : indexer.Compute("family-phonetic", NameForms.Soundex(family)),
            family.Length == 0 ? null : Bloom("family-bigram", family),
            given.Length == 0 ? null : indexer.Compute("given-name", given),
            given.Length == 0 ? null : indexer.Compute("given-phonetic", NameForms.Soundex(given)),
            given.Length == 0 ? null : Bloom("given-bigram", given),
            swapped,
            indexer.Compute("birth-year-month", birthDate.ToString("yyyy-MM", CultureInfo.InvariantCulture)),
            postcode is null ? null : indexer.Compute("postcode-sector", postcode[..^2]));
    }

    /// <summary>The name's bigrams, each keyed and spread over <see cref="PositionsPerBigram"/> bits of the filter.</summary>
    private byte[] Bloom(string purpose, string normal)
    {
        var filter = new byte[BloomBits / 8];
        foreach (var bigram in NameForms.Bigrams(normal))
        {
            var hash = indexer.Compute(purpose, bigram);
            for (var i = 0; i + 1 < hash.Length && i / 2 < PositionsPerBigram; i += 2)
            {
                var bit = ((hash[i] << 8) | hash[i + 1]) % BloomBits;
                filter[bit / 8] |= (byte)(1 << (bit % 8));
            }
        }
        return filter;
    }

    /// <summary>The Dice coefficient of two Bloom filters (2|A and B| / (|A| + |B|)): near 1 for names a letter or two apart.</summary>
    public static double Dice(byte[] a, byte[] b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Length != b.Length)
        {
            return 0;
        }
        int both = 0, total = 0;
        for (var i = 0; i < a.Length; i++)
        {
            both += BitOperations.PopCount((uint)(a[i] & b[i]));
            total += BitOperations.PopCount(a[i]) + BitOperations.PopCount(b[i]);
        }
        return total == 0 ? 0 : 2.0 * both / total;
    }
}
