using System.Collections;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace SharingHub.Server.Hosting;

/// <summary>
/// How the hub's own JSON bodies (enquiries, meetings, conferences, answers: not FHIR or OData, which have readers of their
/// own) are read: each member named once, and no list with an empty item (<c>"subjects": [null]</c>). A handler checks each
/// item it is given; an item that is not there is refused here, for every input type at once, as a 400 that names it.
/// </summary>
internal static class JsonInput
{
    public static void Configure(JsonSerializerOptions options)
    {
        options.AllowDuplicateProperties = false;
        options.TypeInfoResolver = (options.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver()).WithAddedModifier(RefuseNullItems);
    }

    /// <summary>On every input type of the hub's own: after it is read, each list of objects or strings it holds has no null item.</summary>
    private static void RefuseNullItems(JsonTypeInfo type)
    {
        if (type.Kind != JsonTypeInfoKind.Object || type.Type.Namespace?.StartsWith("SharingHub.", StringComparison.Ordinal) != true)
        {
            return;
        }
        var lists = type.Properties.Where(p => p.Get is not null && ListOfReferences(p.PropertyType)).ToList();
        if (lists.Count == 0)
        {
            return;
        }
        var before = type.OnDeserialized;
        type.OnDeserialized = value =>
        {
            before?.Invoke(value);
            foreach (var list in lists)
            {
                if (list.Get!(value) is not IEnumerable items)
                {
                    continue;
                }
                var index = 0;
                foreach (var item in items)
                {
                    if (item is null)
                    {
                        throw new NullItemException($"{list.Name}[{index}]");
                    }
                    index++;
                }
            }
        };
    }

    private static bool ListOfReferences(Type type)
    {
        if (type == typeof(string))
        {
            return false;
        }
        var items = type.IsArray ? type.GetElementType() : type.GetInterfaces().Append(type)
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];
        return items is { IsValueType: false };
    }
}

/// <summary>A list in a body held an empty item; <see cref="Field"/> names it as the caller wrote it (<c>subjects[0]</c>).</summary>
internal sealed class NullItemException(string field) : JsonException($"{field} is empty")
{
    public string Field { get; } = field;
}
