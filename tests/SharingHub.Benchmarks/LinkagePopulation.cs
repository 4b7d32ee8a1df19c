using SharingHub.Core.People;
using SharingHub.Core.Records;

namespace SharingHub.Benchmarks;

/// <summary>One agency's record of a synthetic person, in the clear, with the person it truly is.</summary>
internal sealed record AgencyCopy(int Truth, string Agency, PersonKind Kind, string Given, string Family, DateOnly Birth, string Sex, string? Address,
    IReadOnlyList<(IdentifierKind Kind, string Value)> Identifiers)
{
    /// <summary>The address the agency recorded as the person's previous one (a family that moved), if it did.</summary>
    public string? PreviousAddress { get; init; }
}

/// <summary>
/// A synthetic population as real data looks to a linkage hub (issue 22): family names with a realistic frequency
/// distribution (a few very common, a long tail of rare ones), given names whose popularity moves with year of birth,
/// families at one address, twins and siblings born the same day, families that moved, and each agency's own copy with
/// its own typos, nicknames, day and month swapped, missing addresses, an old address, and changed surnames. The true
/// identity of every copy is known, so precision and recall can be counted.
/// </summary>
internal sealed class LinkagePopulation
{
    private static readonly string[] Onsets = ["B", "Br", "C", "Ch", "D", "F", "G", "Gr", "H", "J", "K", "L", "M", "N", "P", "R", "S", "Sh", "St", "T", "Th", "W", "Wh", "Y", "Ab", "Ash", "El", "Or", "Ul", "Ing"];
    private static readonly string[] Middles = ["a", "e", "i", "o", "u", "ar", "er", "or", "al", "el", "an", "en", "in", "on", "ow", "ai", "ea", "oo"];
    private static readonly string[] Endings = ["by", "den", "ford", "ham", "ley", "more", "ton", "well", "wood", "rows", "son", "field", "man", "er", "ey", "ick", "ing", "kins", "lock", "wick", "stone", "burn", "croft", "hurst"];

    // The commonest family names of England and Wales, commonest first; the long tail is made from English name parts.
    private static readonly string[] Common =
    [
        "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson", "Roberts", "Robinson", "Thompson", "Wright",
        "Walker", "White", "Edwards", "Hughes", "Green", "Hall", "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper",
        "Hill", "Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen", "James", "Scott", "Phillips", "Watson", "Davis",
        "Parker", "Price", "Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter", "Richardson", "Bailey", "Collins", "Bell", "Shaw",
        "Murphy", "Miller", "Cox", "Richards", "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Singh", "Begum", "Wilkinson", "Foster",
        "Chapman", "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali", "Hunt", "Hussain", "Campbell", "Matthews", "Owen", "Palmer", "Holmes", "Mills",
        "Barnes", "Knight", "Lloyd", "Butler", "Russell", "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey", "Barrows", "Okafor", "Nowak",
    ];

    private static readonly string[] Girls =
    [
        "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie", "Sophia", "Grace", "Freya", "Willow", "Florence", "Emily", "Ella",
        "Poppy", "Evie", "Elsie", "Charlotte", "Evelyn", "Sienna", "Sofia", "Daisy", "Phoebe", "Sophie", "Alice", "Harper", "Matilda", "Ruby", "Emilia",
        "Maya", "Millie", "Isabelle", "Eva", "Luna", "Jessica", "Chloe", "Rebecca", "Katherine", "Elizabeth", "Abigail", "Hannah", "Lucy", "Holly", "Megan",
        "Lauren", "Amy", "Zara", "Aisha", "Fatima", "Maryam", "Leah", "Erin", "Niamh", "Layla", "Hollie", "Victoria", "Samantha", "Jennifer", "Eleanor",
    ];

    private static readonly string[] Boys =
    [
        "Noah", "Muhammad", "George", "Oliver", "Leo", "Arthur", "Oscar", "Theodore", "Freddie", "Theo", "Harry", "Archie", "Jack", "Henry", "Charlie",
        "Finley", "Alfie", "Thomas", "William", "James", "Samuel", "Joshua", "Daniel", "Benjamin", "Alexander", "Jacob", "Joseph", "Edward", "Isaac",
        "Lucas", "Max", "Ethan", "Tommy", "Harrison", "Logan", "Adam", "Zachary", "Matthew", "Michael", "Jonathan", "Nicholas", "Christopher", "Robert",
        "Richard", "Stephen", "Anthony", "Ryan", "Kai", "Tyler", "Reuben", "Ibrahim", "Yusuf", "Omar", "Ali", "Callum", "Connor", "Liam", "Aaron",
    ];

    // Beyond the commonest names, a long tail (as real registers have: thousands of given names, none above a few per cent).
    private static readonly string[] GivenOnsets = ["Al", "Ar", "Bel", "Cal", "Cor", "Dar", "El", "Fen", "Gal", "Har", "Is", "Jas", "Kel", "Lor", "Mar", "Nev", "Or", "Per", "Ros", "Sol", "Tal", "Val", "Wyn", "Zan"];
    private static readonly string[] GirlEndings = ["a", "ia", "ie", "elle", "ina", "ette", "yn", "issa", "ara", "ena", "ora", "ley", "lie", "ica"];
    private static readonly string[] BoyEndings = ["on", "an", "er", "ias", "o", "en", "ian", "us", "ric", "ton", "vin", "rick", "ley", "den"];
    private static readonly string[] AllGirls = Girls.Concat(GivenOnsets.SelectMany(o => GirlEndings.Select(e => o + e))).Distinct().ToArray();
    private static readonly string[] AllBoys = Boys.Concat(GivenOnsets.SelectMany(o => BoyEndings.Select(e => o + e))).Distinct().ToArray();

    private static readonly string[] Streets = ["High Street", "Church Road", "Mill Lane", "Station Road", "Park Avenue", "Victoria Road", "Green Lane", "Manor Way", "Kings Road", "School Lane"];

    private readonly Random _random;

    // Whether an agency that has a moved family's new address also recorded the old one: drawn from its own sequence, so the
    // population is otherwise the same as before address history was generated.
    private readonly Random _history;
    private readonly string[] _surnames;
    private readonly double[] _surnameCumulative;
    private readonly DateOnly _today = new(2026, 11, 1);
    private int _nhs = 1;
    private int _pupil = 1;
    private int _pnc = 1;
    private int _la = 1;

    /// <summary>The share of a moved family's records at the new address that also hold the previous address.</summary>
    public const double RecordsPreviousAddress = 0.6;

    public LinkagePopulation(int seed)
    {
        _random = new Random(seed);
        _history = new Random(seed + 1);
        var tail = new HashSet<string>(StringComparer.Ordinal);
        foreach (var onset in Onsets)
        foreach (var middle in Middles)
        foreach (var ending in Endings)
        {
            tail.Add(onset + middle + ending);
        }
        _surnames = Common.Concat(tail.Where(t => !Common.Contains(t)).OrderBy(_ => _random.Next())).ToArray();
        // Rank r has weight 1 / (r + 5): Smith about 1.5 per cent of people, the top 100 names about a third, then a long tail.
        _surnameCumulative = new double[_surnames.Length];
        var sum = 0.0;
        for (var r = 0; r < _surnames.Length; r++)
        {
            sum += 1.0 / (r + 5);
            _surnameCumulative[r] = sum;
        }
        for (var r = 0; r < _surnames.Length; r++)
        {
            _surnameCumulative[r] /= sum;
        }
    }

    public List<AgencyCopy> Generate(int people)
    {
        var copies = new List<AgencyCopy>(people * 3);
        var truth = 0;
        while (truth < people)
        {
            var family = Surname();
            var address = Address();
            var movedTo = _random.NextDouble() < 0.08 ? Address() : null;
            var motherAge = _random.Next(19, 45);
            var members = new List<(PersonKind Kind, string Given, string Family, DateOnly Birth, string Sex)>
            {
                (PersonKind.Adult, Given("female", motherAge), _random.NextDouble() < 0.8 ? family : Surname(), Born(motherAge), "female"),
            };
            if (_random.NextDouble() < 0.6)
            {
                var age = motherAge + _random.Next(-3, 8);
                members.Add((PersonKind.Adult, Given("male", age), family, Born(age), "male"));
            }
            var children = _random.Next(1, 4);
            for (var c = 0; c < children; c++)
            {
                var age = _random.Next(0, Math.Min(18, motherAge - 16));
                var sex = _random.NextDouble() < 0.5 ? "female" : "male";
                var birth = Born(age);
                members.Add((PersonKind.Child, Unused(members, sex, age), family, birth, sex));
                // Twins: about 1.5 per cent of births; half the same sex.
                if (_random.NextDouble() < 0.015)
                {
                    var twinSex = _random.NextDouble() < 0.5 ? sex : sex == "female" ? "male" : "female";
                    members.Add((PersonKind.Child, Unused(members, twinSex, age), family, birth, twinSex));
                }
            }
            foreach (var member in members)
            {
                if (truth >= people)
                {
                    break;
                }
                Copies(copies, truth++, member, address, movedTo);
            }
        }
        return copies;
    }

    private void Copies(List<AgencyCopy> copies, int truth, (PersonKind Kind, string Given, string Family, DateOnly Birth, string Sex) person, string address, string? movedTo)
    {
        var nhs = NhsNumber();
        var age = _today.Year - person.Birth.Year;
        var agencies = new List<string>();
        if (_random.NextDouble() < 0.9)
        {
            agencies.Add("health");
        }
        if (_random.NextDouble() < (person.Kind == PersonKind.Child ? 0.5 : 0.35))
        {
            agencies.Add("la");
        }
        if (person.Kind == PersonKind.Child && age is >= 4 and <= 17 && _random.NextDouble() < 0.95)
        {
            agencies.Add("education");
        }
        if (_random.NextDouble() < (person.Kind == PersonKind.Adult ? 0.25 : 0.08))
        {
            agencies.Add("police");
        }
        if (person.Kind == PersonKind.Adult && _random.NextDouble() < 0.03)
        {
            agencies.Add("probation");
        }
        foreach (var agency in agencies)
        {
            var given = person.Given;
            if (agency != "health" && _random.NextDouble() < 0.15 && NameForms.Nicknames.TryGetValue(NameForms.Normal(given), out var nicks))
            {
                given = nicks[_random.Next(nicks.Length)];
            }
            var family = person.Family;
            if (_random.NextDouble() < 0.05)
            {
                family = Typo(family);
            }
            if (person.Kind == PersonKind.Adult && person.Sex == "female" && _random.NextDouble() < 0.03)
            {
                family = Surname();   // a changed surname (marriage, divorce) one agency has and another has not
            }
            var birth = person.Birth;
            if (_random.NextDouble() < 0.02 && birth.Day <= 12 && birth.Day != birth.Month)
            {
                birth = new DateOnly(birth.Year, birth.Day, birth.Month);
            }
            else if (_random.NextDouble() < 0.01)
            {
                birth = birth.AddDays(_random.Next(-3, 4));
            }
            var where = _random.NextDouble() < 0.12 ? null : movedTo is not null && _random.NextDouble() < 0.5 ? movedTo : address;
            var identifiers = new List<(IdentifierKind, string)>();
            switch (agency)
            {
                case "health": identifiers.Add((IdentifierKind.NhsNumber, nhs)); break;
                case "education": identifiers.Add((IdentifierKind.Upn, $"U{_pupil++:D12}")); break;
                case "police": identifiers.Add((IdentifierKind.PncId, $"P{_pnc++:D10}")); break;
                case "la": identifiers.Add((IdentifierKind.LaPersonId, $"L{_la++:D8}")); break;
                default: break;
            }
            // The council often records the NHS number too: a claim that supports a link, never decides one.
            if (agency == "la" && _random.NextDouble() < 0.3)
            {
                identifiers.Add((IdentifierKind.NhsNumber, nhs));
            }
            // An agency that registers a family at its new address usually asks for the previous one (a GP's registration,
            // a school's admission, the council's own record); some do not, or the family did not say.
            var previous = where is not null && where == movedTo && _history.NextDouble() < RecordsPreviousAddress ? address : null;
            copies.Add(new AgencyCopy(truth, agency, person.Kind, given, family, birth, person.Sex, where, identifiers) { PreviousAddress = previous });
        }
    }

    private string Surname()
    {
        var x = _random.NextDouble();
        var index = Array.BinarySearch(_surnameCumulative, x);
        return _surnames[index < 0 ? Math.Min(~index, _surnames.Length - 1) : index];
    }

    /// <summary>
    /// Given names by year of birth: rank r has weight 1 / (r + 8), so the commonest name of a year is about three per cent
    /// of its children; which names are common shifts with the year, so names come and go.
    /// </summary>
    private string Given(string sex, int age)
    {
        var names = sex == "female" ? AllGirls : AllBoys;
        var common = sex == "female" ? Girls.Length : Boys.Length;
        var shift = (_today.Year - age) * 7 % common;
        var x = _random.NextDouble() * GivenWeights(names.Length)[^1];
        var rank = Array.BinarySearch(GivenWeights(names.Length), x);
        rank = rank < 0 ? Math.Min(~rank, names.Length - 1) : rank;
        // The year's shift moves popularity among the common names only; the tail stays the tail.
        return names[rank < common ? (rank + shift) % common : rank];
    }

    private static readonly Dictionary<int, double[]> Cumulative = [];

    private static double[] GivenWeights(int count)
    {
        lock (Cumulative)
        {
            if (!Cumulative.TryGetValue(count, out var weights))
            {
                weights = new double[count];
                var sum = 0.0;
                for (var r = 0; r < count; r++)
                {
                    sum += 1.0 / (r + 8);
                    weights[r] = sum;
                }
                Cumulative[count] = weights;
            }
            return weights;
        }
    }

    /// <summary>A given name no one else in the family has: parents do not give two children one name.</summary>
    private string Unused(List<(PersonKind Kind, string Given, string Family, DateOnly Birth, string Sex)> family, string sex, int age)
    {
        var name = Given(sex, age);
        while (family.Any(m => NameForms.FormalGivenName(NameForms.Normal(m.Given)) == NameForms.FormalGivenName(NameForms.Normal(name))))
        {
            name = Given(sex, age);
        }
        return name;
    }

    private DateOnly Born(int age) => _today.AddYears(-age).AddDays(-_random.Next(0, 365));

    private string Address()
    {
        var letters = "ABDEFGHJLNPQRSTUWXYZ";
        var postcode = $"T{(char)('A' + _random.Next(0, 8))}{_random.Next(1, 30)} {_random.Next(1, 10)}{letters[_random.Next(letters.Length)]}{letters[_random.Next(letters.Length)]}";
        return $"{_random.Next(1, 200)} {Streets[_random.Next(Streets.Length)]}, Testtown {postcode}";
    }

    private string Typo(string name)
    {
        if (name.Length < 4)
        {
            return name + "e";
        }
        var i = _random.Next(1, name.Length - 1);
        return _random.Next(3) switch
        {
            0 => name.Remove(i, 1),                                                     // a letter dropped (Barrows, Barros)
            1 => name[..i] + name[i + 1] + name[i] + name[(i + 2)..],                   // two letters swapped
            _ => name.Insert(i, name[i].ToString()),                                     // a letter doubled
        };
    }

    private string NhsNumber() => $"999{_nhs++:D7}";
}
