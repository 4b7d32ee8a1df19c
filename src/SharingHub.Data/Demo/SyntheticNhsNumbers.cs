using System.Globalization;
using SharingHub.Core.People;

namespace SharingHub.Data.Demo;

/// <summary>
/// NHS numbers for synthetic people, from the 999 range, which is never issued to a real person: nine digits 999000000 to
/// 999999999 with their check digit, about 909,000 valid numbers (a nine-digit start whose check digit would be 10 has none).
/// Each number belongs to one synthetic person, as a real NHS number does: the demo counts them up from the bottom of the range
/// by person (<see cref="Nth"/>), and a benchmark's people made on top of a demo count them down from the top
/// (<see cref="NthFromTop"/>), so neither shares a number with an unrelated person. Drawn at random, as they were, a demo of
/// 100,000 families (10 million events, 420,000 people) gave tens of thousands of unrelated people the same number, which is
/// evidence for a link no real records would carry.
/// </summary>
public static class SyntheticNhsNumbers
{
    private static readonly Lazy<int[]> Valid = new(() =>
    {
        var valid = new List<int>(910_000);
        Span<char> nine = stackalloc char[9];
        for (var n = 0; n < 1_000_000; n++)
        {
            Body(n, nine);
            if (AgencyIdentifiers.NhsCheckDigit(nine) >= 0)
            {
                valid.Add(n);
            }
        }
        return valid.ToArray();
    });

    /// <summary>How many numbers the range holds; past it, <see cref="Nth"/> starts again from the bottom.</summary>
    public static int Count => Valid.Value.Length;

    /// <summary>The <paramref name="n"/>th valid number from the bottom of the range (n from 0).</summary>
    public static string Nth(long n) => Number(Valid.Value[(int)(n % Count)]);

    /// <summary>The <paramref name="n"/>th valid number from the top of the range (n from 0).</summary>
    public static string NthFromTop(long n) => Number(Valid.Value[Count - 1 - (int)(n % Count)]);

    private static void Body(int n, Span<char> nine)
    {
        "999".AsSpan().CopyTo(nine);
        n.TryFormat(nine[3..], out _, "D6", CultureInfo.InvariantCulture);
    }

    private static string Number(int body)
    {
        Span<char> nine = stackalloc char[9];
        Body(body, nine);
        return string.Concat(nine, AgencyIdentifiers.NhsCheckDigit(nine).ToString(CultureInfo.InvariantCulture));
    }
}
