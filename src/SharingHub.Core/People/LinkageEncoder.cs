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

    /// <summary>
    /// The keyed postcode indexes of the person's previous addresses as the agency recorded them, one after another
    /// (<see cref="LinkageEncoder.IndexBytes"/> bytes each, most recent first, at most <see cref="LinkageEncoder.PreviousAddresses"/>);
    /// null when none. Used only to compare: a family that moved is at its old address in one agency's record and at its new
    /// one, with the old as previous, in another's.
    /// </summary>
    public byte[]? PreviousPostcodes { get; init; }

    /// <summary>
    /// A person's previous postcodes after a write: <paramref name="moved"/> (the postcode the write replaced, if it changed)
    /// first, then <paramref name="previous"/>, each once, never the <paramref name="current"/> one, at most
    /// <see cref="LinkageEncoder.PreviousAddresses"/>.
    /// </summary>
    public static byte[]? History(byte[]? current, byte[]? moved, byte[]? previous)
    {
        var kept = new List<byte[]>();
        void Add(byte[] postcode)
        {
            if (kept.Count < LinkageEncoder.PreviousAddresses && postcode.Length == LinkageEncoder.IndexBytes
                && !(current is not null && postcode.AsSpan().SequenceEqual(current)) && !kept.Any(k => k.AsSpan().SequenceEqual(postcode)))
            {
                kept.Add(postcode);
            }
        }
        if (moved is not null)
        {
            Add(moved);
        }
        for (var i = 0; previous is not null && i + LinkageEncoder.IndexBytes <= previous.Length; i += LinkageEncoder.IndexBytes)
        {
            Add(previous[i..(i + LinkageEncoder.IndexBytes)]);
        }
        return kept.Count == 0 ? null : kept.SelectMany(k => k).ToArray();
    }

    /// <summary>
    /// The family name's one-letter variants, keyed: the name and each form with one letter left out, each as the first
    /// <see cref="LinkageEncoder.VariantBytes"/> bytes of its keyed index, one after another; null when there is no name.
    /// Two names share one exactly when they are a letter apart (one added, dropped or changed, or two next to each other
    /// swapped: Jnes and Jones, Tohmas and Thomas), which the names' bigrams alone weigh as barely alike.
    /// </summary>
    public byte[]? FamilyVariants { get; init; }

    /// <summary>Whether the two family names are a letter apart (they share a one-letter variant); false when either has none.</summary>
    public bool FamilyLetterApart(LinkageEncoding other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (FamilyVariants is not { } mine || other.FamilyVariants is not { } theirs)
        {
            return false;
        }
        const int n = LinkageEncoder.VariantBytes;
        for (var i = 0; i + n <= mine.Length; i += n)
        {
            var a = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(mine.AsSpan(i, n));
            for (var j = 0; j + n <= theirs.Length; j += n)
            {
                if (a == System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(theirs.AsSpan(j, n)))
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>Whether <paramref name="postcode"/> (a keyed postcode index) is one of this person's previous postcodes.</summary>
    public bool LivedAt(byte[]? postcode)
    {
        if (postcode is null || PreviousPostcodes is not { } previous || postcode.Length != LinkageEncoder.IndexBytes)
        {
            return false;
        }
        for (var i = 0; i + LinkageEncoder.IndexBytes <= previous.Length; i += LinkageEncoder.IndexBytes)
        {
            if (previous.AsSpan(i, LinkageEncoder.IndexBytes).SequenceEqual(postcode))
            {
                return true;
            }
        }
        return false;
    }
}

/// <summary>Makes a person's <see cref="LinkageEncoding"/> under the hub's blind-index key (one purpose per kind of value).</summary>
public sealed class LinkageEncoder(IBlindIndexer indexer)
{
    /// <summary>Bits in each name's Bloom filter, and positions each bigram sets (16 from one HMAC-SHA256).</summary>
    public const int BloomBits = 1024;
    public const int PositionsPerBigram = 16;

    /// <summary>The length of one keyed index (HMAC-SHA256).</summary>
    public const int IndexBytes = 32;

    /// <summary>How many previous addresses linkage keeps a postcode index of (the most recent).</summary>
    public const int PreviousAddresses = 3;

    /// <summary>
    /// The bytes kept of each one-letter variant's keyed index: compared only within one candidate pair (a few hundred
    /// comparisons), where two different variants agree on 64 bits about once in 10^16 pairs.
    /// </summary>
    public const int VariantBytes = 8;

    /// <summary>Names longer than this keep variants of their first this many letters only (the encoding's size stays bounded).</summary>
    public const int VariantLetters = 24;

    public LinkageEncoding Encode(string givenName, string familyName, DateOnly birthDate, string? address, IEnumerable<string>? previousAddresses = null)
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
            postcode is null ? null : indexer.Compute("postcode-sector", postcode[..^2]))
        {
            PreviousPostcodes = PreviousPostcodes(postcode, previousAddresses),
            FamilyVariants = family.Length == 0 ? null : Variants("family-variant", family),
        };
    }

    /// <summary>The family name's keyed one-letter variants (<see cref="LinkageEncoding.FamilyVariants"/>), made from its normal form alone.</summary>
    public byte[]? FamilyVariants(string familyName)
    {
        var family = NameForms.Normal(familyName);
        return family.Length == 0 ? null : Variants("family-variant", family);
    }

    private byte[] Variants(string purpose, string normal)
    {
        var name = normal.Length > VariantLetters ? normal[..VariantLetters] : normal;
        var forms = new HashSet<string>(StringComparer.Ordinal) { name };
        for (var i = 0; i < name.Length && name.Length > 1; i++)
        {
            forms.Add(name.Remove(i, 1));
        }
        var bytes = new byte[forms.Count * VariantBytes];
        var at = 0;
        foreach (var form in forms)
        {
            indexer.Compute(purpose, form).AsSpan(0, VariantBytes).CopyTo(bytes.AsSpan(at));
            at += VariantBytes;
        }
        return bytes;
    }

    /// <summary>The postcode indexes of the previous addresses, by the one rule of <see cref="LinkageEncoding.History"/>.</summary>
    private byte[]? PreviousPostcodes(string? current, IEnumerable<string>? previousAddresses)
    {
        // Each postcode keyed once; one more than kept, as one of them may be the current postcode.
        var postcodes = (previousAddresses ?? []).Select(AgencyIdentifiers.PostcodeIndexForm).OfType<string>().Distinct(StringComparer.Ordinal).Take(PreviousAddresses + 1);
        return LinkageEncoding.History(current is null ? null : indexer.Compute(PersonSealer.PostcodePurpose, current), moved: null,
            [.. postcodes.SelectMany(p => indexer.Compute(PersonSealer.PostcodePurpose, p))]);
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
