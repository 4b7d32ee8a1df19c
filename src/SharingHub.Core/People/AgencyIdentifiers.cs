using System.Globalization;
using SharingHub.Core.Records;

namespace SharingHub.Core.People;

/// <summary>
/// Check-digit rules for the identifiers each agency uses, and the normal form that blind indexes
/// are computed over (so "943 476 5919" and "9434765919" find the same person).
/// </summary>
public static class AgencyIdentifiers
{
    private const string UpnCheckLetters = "ABCDEFGHJKLMNPQRTUVWXYZ";
    private const string PncCheckLetters = "ZABCDEFGHJKLMNPQRTUVWXY";

    public static string Normalise(IdentifierKind kind, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var compact = new string(value.Where(c => !char.IsWhiteSpace(c) && c != '-').ToArray()).ToUpperInvariant();
        return kind == IdentifierKind.PncId ? NormalisePnc(compact) : compact;
    }

    public static bool IsValid(IdentifierKind kind, string value)
    {
        var normal = Normalise(kind, value);
        return kind switch
        {
            IdentifierKind.NhsNumber => IsValidNhsNumber(normal),
            IdentifierKind.Upn => IsValidUpn(normal),
            IdentifierKind.PncId => IsValidPncId(normal),
            IdentifierKind.Crn => normal.Length == 7 && char.IsAsciiLetterUpper(normal[0]) && normal[1..].All(char.IsAsciiDigit),
            IdentifierKind.LaPersonId => normal.Length is >= 1 and <= 20 && normal.All(char.IsAsciiLetterOrDigit),
            _ => false,
        };
    }

    /// <summary>NHS number: ten digits, the last a modulus 11 check digit over the first nine (weights 10..2).</summary>
    public static bool IsValidNhsNumber(string digits) =>
        digits.Length == 10 && digits.All(char.IsAsciiDigit) && NhsCheckDigit(digits.AsSpan(0, 9)) == digits[9] - '0';

    /// <summary>Returns the check digit for nine digits, or -1 when none exists (a remainder of 10 is never issued).</summary>
    public static int NhsCheckDigit(ReadOnlySpan<char> nineDigits)
    {
        var sum = 0;
        for (var i = 0; i < 9; i++)
        {
            sum += (nineDigits[i] - '0') * (10 - i);
        }
        var check = 11 - (sum % 11);
        return check switch
        {
            11 => 0,
            10 => -1,
            _ => check,
        };
    }

    /// <summary>UPN: a check letter then twelve characters (LA code, establishment, year, serial), as in the DfE UPN guide.</summary>
    public static bool IsValidUpn(string upn) =>
        upn.Length == 13 && upn[1..].All(char.IsAsciiDigit) && UpnCheckLetter(upn.AsSpan(1)) == upn[0];

    public static char UpnCheckLetter(ReadOnlySpan<char> twelveDigits)
    {
        var sum = 0;
        for (var i = 0; i < 12; i++)
        {
            sum += (twelveDigits[i] - '0') * (i + 2);
        }
        return UpnCheckLetters[sum % 23];
    }

    /// <summary>PNC ID: YYYY/NNNNNNNC, the check letter being (YY and the seven-digit serial as one number) mod 23.</summary>
    public static bool IsValidPncId(string normal)
    {
        if (normal.Length != 13 || normal[4] != '/')
        {
            return false;
        }
        var year = normal.AsSpan(0, 4);
        var serial = normal.AsSpan(5, 7);
        foreach (var c in year)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        foreach (var c in serial)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }
        return PncCheckLetter(year[2..], serial) == normal[12];
    }

    public static char PncCheckLetter(ReadOnlySpan<char> twoDigitYear, ReadOnlySpan<char> sevenDigitSerial)
    {
        var number = long.Parse(string.Concat(twoDigitYear, sevenDigitSerial), CultureInfo.InvariantCulture);
        return PncCheckLetters[(int)(number % 23)];
    }

    /// <summary>
    /// A UK postcode in its index form (upper case, no spaces), or null when the text holds none, e.g.
    /// "sw1a 1aa" and "SW1A1AA" both give "SW1A1AA". An address's postcode is taken from its end.
    /// </summary>
    public static string? PostcodeIndexForm(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var words = text.Trim().Split([' ', ','], StringSplitOptions.RemoveEmptyEntries);
        for (var take = Math.Min(2, words.Length); take >= 1; take--)
        {
            var candidate = string.Concat(words[^take..]).ToUpperInvariant();
            if (IsPostcode(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    private static bool IsPostcode(string compact)
    {
        // Outward code (A9, A99, AA9, AA99, A9A, AA9A) then inward code (9AA).
        if (compact.Length is < 5 or > 7)
        {
            return false;
        }
        var inward = compact[^3..];
        var outward = compact[..^3];
        return char.IsAsciiDigit(inward[0]) && char.IsAsciiLetterUpper(inward[1]) && char.IsAsciiLetterUpper(inward[2])
            && char.IsAsciiLetterUpper(outward[0])
            && outward.Skip(1).Any(char.IsAsciiDigit)
            && outward.All(char.IsAsciiLetterOrDigit)
            && outward.Length is >= 2 and <= 4;
    }

    private static string NormalisePnc(string compact)
    {
        // Accept "12/345C" style short serials by padding to seven digits, as the PNC does.
        var slash = compact.IndexOf('/', StringComparison.Ordinal);
        if (slash != 4 || compact.Length < 7)
        {
            return compact;
        }
        var serial = compact[(slash + 1)..^1];
        return serial.Length is > 0 and < 7 && serial.All(char.IsAsciiDigit)
            ? string.Concat(compact.AsSpan(0, 5), serial.PadLeft(7, '0'), compact.AsSpan(compact.Length - 1))
            : compact;
    }
}
