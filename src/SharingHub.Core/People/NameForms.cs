using System.Text;

namespace SharingHub.Core.People;

/// <summary>
/// The forms of a name that linkage compares, made from the plaintext once at write time and then only ever kept as
/// keyed encodings (<see cref="LinkageEncoder"/>): upper-case letters only, a phonetic code, the bigrams a Bloom
/// filter encodes, and a given name's formal form (a nickname to the name it shortens).
/// </summary>
public static class NameForms
{
    /// <summary>Upper-case letters only, accents dropped: "O'Neill" and "ONEILL", "Zoë" and "ZOE", are one name.</summary>
    public static string Normal(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var letters = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            if (char.IsAsciiLetter(c))
            {
                letters.Append(char.ToUpperInvariant(c));
            }
            else if (Unaccented(c) is { } plain)
            {
                letters.Append(plain);
            }
        }
        return letters.ToString();
    }

    // The accented letters of Latin-1 and Latin Extended-A that names carry, without their accents (the hub runs with
    // invariant globalisation, where Unicode decomposition is not available).
    private const string Accented = "ÀÁÂÃÄÅàáâãäåĀāĂăĄąÇçĆćĈĉĊċČčĎďĐđÈÉÊËèéêëĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĦħÌÍÎÏìíîïĨĩĪīĬĭĮįİıĴĵĶķĹĺĻļĽľĿŀŁłÑñŃńŅņŇňÒÓÔÕÖØòóôõöøŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŦŧÙÚÛÜùúûüŨũŪūŬŭŮůŰűŲųŴŵÝýÿŶŷŸŹźŻżŽž";
    private const string Plain = "AAAAAAAAAAAAAAAAAACCCCCCCCCCDDDDEEEEEEEEEEEEEEEEEEGGGGGGGGHHHHIIIIIIIIIIIIIIIIIIJJKKLLLLLLLLLLNNNNNNNNOOOOOOOOOOOOOOOOOORRRRRRSSSSSSSSTTTTTTUUUUUUUUUUUUUUUUUUUUWWYYYYYYZZZZZZ";

    private static char? Unaccented(char c)
    {
        var at = Accented.IndexOf(c, StringComparison.Ordinal);
        return at < 0 ? null : Plain[at];
    }

    /// <summary>The bigrams of the name padded with a space at each end (" B", "BA", ..., "S "), as clkhash encodes them.</summary>
    public static IEnumerable<string> Bigrams(string normal)
    {
        ArgumentNullException.ThrowIfNull(normal);
        var padded = $" {normal} ";
        for (var i = 0; i + 1 < padded.Length; i++)
        {
            yield return padded.Substring(i, 2);
        }
    }

    /// <summary>
    /// A Soundex code (first letter and three digits), which agrees for names that sound alike ("Barrows" and
    /// "Barros": B620). Coarse on purpose: it only ever adds to other agreement, never links on its own.
    /// </summary>
    public static string Soundex(string normal)
    {
        ArgumentNullException.ThrowIfNull(normal);
        if (normal.Length == 0)
        {
            return "";
        }
        var code = new StringBuilder(4);
        code.Append(normal[0]);
        var last = Digit(normal[0]);
        for (var i = 1; i < normal.Length && code.Length < 4; i++)
        {
            var c = normal[i];
            var digit = Digit(c);
            if (digit != '0' && digit != last)
            {
                code.Append(digit);
            }
            // H and W do not separate letters of one code; vowels do.
            if (c is not ('H' or 'W'))
            {
                last = digit;
            }
        }
        return code.ToString().PadRight(4, '0');
    }

    private static char Digit(char c) => c switch
    {
        'B' or 'F' or 'P' or 'V' => '1',
        'C' or 'G' or 'J' or 'K' or 'Q' or 'S' or 'X' or 'Z' => '2',
        'D' or 'T' => '3',
        'L' => '4',
        'M' or 'N' => '5',
        'R' => '6',
        _ => '0',
    };

    /// <summary>A given name's formal form: "BECKY" and "REBECCA" are one name to linkage; other names are themselves.</summary>
    public static string FormalGivenName(string normal)
    {
        ArgumentNullException.ThrowIfNull(normal);
        return Formal.TryGetValue(normal, out var formal) ? formal : normal;
    }

    /// <summary>Common English nicknames and the names they shorten (each agency records what the family says).</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Nicknames = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        ["ABIGAIL"] = ["ABI", "ABBY", "ABBIE"], ["ALEXANDER"] = ["ALEX", "ALFIE", "SANDY"], ["ALEXANDRA"] = ["ALEX", "LEXI", "SANDRA"],
        ["AMELIA"] = ["MILLIE", "AMY", "MIA"], ["ANTHONY"] = ["TONY"], ["BENJAMIN"] = ["BEN", "BENNY"], ["CATHERINE"] = ["CATH", "CATHY", "KATE"],
        ["CHARLOTTE"] = ["LOTTIE", "CHARLIE"], ["CHRISTOPHER"] = ["CHRIS"], ["DANIEL"] = ["DAN", "DANNY"], ["EDWARD"] = ["ED", "EDDIE", "TED"],
        ["ELEANOR"] = ["ELLIE", "NELL"], ["ELIZABETH"] = ["BETH", "LIZ", "LIZZIE", "ELIZA", "BETTY"], ["FREDERICK"] = ["FRED", "FREDDIE"],
        ["ISABELLA"] = ["BELLA", "IZZY"], ["ISABELLE"] = ["BELLE", "IZZY"], ["JAMES"] = ["JIM", "JIMMY", "JAMIE"], ["JENNIFER"] = ["JEN", "JENNY"],
        ["JESSICA"] = ["JESS", "JESSIE"], ["JONATHAN"] = ["JON", "JONNY"], ["JOSEPH"] = ["JOE", "JOEY"], ["KATHERINE"] = ["KATE", "KATIE", "KAT"],
        ["MARGARET"] = ["MAGGIE", "MEG", "PEGGY"], ["MATTHEW"] = ["MATT"], ["MICHAEL"] = ["MIKE", "MICKEY"], ["NICHOLAS"] = ["NICK", "NICKY"],
        ["OLIVER"] = ["OLLIE"], ["REBECCA"] = ["BECKY", "BEX"], ["RICHARD"] = ["RICH", "RICKY", "DICK"], ["ROBERT"] = ["ROB", "BOB", "BOBBY", "ROBBIE"],
        ["SAMUEL"] = ["SAM", "SAMMY"], ["SAMANTHA"] = ["SAM", "SAMMY"], ["STEPHEN"] = ["STEVE"], ["THOMAS"] = ["TOM", "TOMMY"],
        ["VICTORIA"] = ["VICKY", "TORI"], ["WILLIAM"] = ["WILL", "BILL", "LIAM", "BILLY"], ["ZACHARY"] = ["ZAC", "ZACK"],
    };

    // A nickname shared by two formal names (SAM) maps to the first: linkage then treats Samuel and Samantha as one given
    // name, which only ever adds to agreement that sex and birth date must still support.
    private static readonly Dictionary<string, string> Formal = Nicknames
        .SelectMany(n => n.Value.Select(nick => (Nick: nick, Formal: n.Key)))
        .GroupBy(x => x.Nick, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.First().Formal, StringComparer.Ordinal);
}
