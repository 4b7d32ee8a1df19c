using System.Reflection;
using SharingHub.Policies.Decisions;
using Record = SharingHub.Core.Records.Record;

namespace SharingHub.Policies.Tests.Decisions;

/// <summary>
/// Every kind of record that names a person is decided as being about them: consent, enquiry membership and referrals are all
/// checked against a record's subjects, so a record type whose facts forget its person would be decided as about nobody
/// (and a consent or case would never reach it, or a rule keyed on subjects would misjudge it).
/// </summary>
public sealed class RecordFactsTests
{
    private static List<string> TypeNames() => typeof(Record).Assembly.GetTypes()
        .Where(t => t.IsSubclassOf(typeof(Record)) && !t.IsAbstract && PersonProperties(t).Any())
        .Select(t => t.Name).Order(StringComparer.Ordinal).ToList();

    public static TheoryData<string> PersonNamingTypes() => new(TypeNames());

    /// <summary>The properties naming a person: a Guid called PersonId, or ending in it (SubjectPersonId, RelatedPersonId; not a grantor).</summary>
    private static IEnumerable<PropertyInfo> PersonProperties(Type type) =>
        type.GetProperties().Where(p => p.PropertyType == typeof(Guid) && p.Name.EndsWith("PersonId", StringComparison.Ordinal));

    [Theory]
    [MemberData(nameof(PersonNamingTypes))]
    public void Given_a_record_that_names_a_person_then_its_facts_are_about_that_person(string typeName)
    {
        var type = typeof(Record).Assembly.GetTypes().Single(t => t.Name == typeName && t.IsSubclassOf(typeof(Record)));
        var record = (Record)Activator.CreateInstance(type)!;
        record.Id = Guid.NewGuid();
        var people = PersonProperties(type).ToDictionary(p => p, _ => Guid.NewGuid());
        foreach (var (property, id) in people)
        {
            property.SetValue(record, id);
        }

        var facts = RecordFacts.For(record);

        Assert.All(people, p => Assert.Contains(p.Value, facts.SubjectIds));
    }

    [Fact]
    public void Given_the_record_types_then_every_one_naming_a_person_is_checked()
    {
        Assert.Contains("FamilyHelpPlan", TypeNames());
        Assert.True(TypeNames().Count >= 6, string.Join(", ", TypeNames()));
    }
}
