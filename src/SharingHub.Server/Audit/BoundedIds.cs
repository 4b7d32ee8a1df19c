using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SharingHub.Server.Audit;

/// <summary>
/// The record ids of one audit line. Up to <see cref="MaxListed"/> are written as a plain list; beyond that the
/// line keeps the first ones, the count and a SHA-256 digest of every id (sorted), so a broad query's entry
/// stays small while anyone holding the ids can still prove which records it covered. The subjects of the
/// entry are always kept in full: whose records were touched is the accountability the log exists for.
/// </summary>
[JsonConverter(typeof(BoundedIdsConverter))]
public sealed class BoundedIds
{
    public const int MaxListed = 100;
    private readonly List<Guid> _ids = [];

    public int Count => _ids.Count;

    public void Add(Guid id) => _ids.Add(id);

    private HashSet<Guid>? _seen;

    /// <summary>Adds an id not already on the line (subjects repeat across a line's records; record ids do not).</summary>
    public void AddOnce(Guid id)
    {
        if ((_seen ??= []).Add(id))
        {
            _ids.Add(id);
        }
    }

    public IReadOnlyList<Guid> All => _ids;

    /// <summary>Hex SHA-256 over the sorted ids, each as its 36-character form and a newline.</summary>
    public string Digest()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var id in _ids.Order())
        {
            hash.AppendData(System.Text.Encoding.ASCII.GetBytes(id.ToString("D") + "\n"));
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private sealed class BoundedIdsConverter : JsonConverter<BoundedIds>
    {
        public override BoundedIds Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("audit lines are written, never read back into this type");

        public override void Write(Utf8JsonWriter writer, BoundedIds value, JsonSerializerOptions options)
        {
            if (value.Count <= MaxListed)
            {
                writer.WriteStartArray();
                value._ids.ForEach(id => writer.WriteStringValue(id));
                writer.WriteEndArray();
                return;
            }
            writer.WriteStartObject();
            writer.WriteNumber("count", value.Count);
            writer.WriteString("sha256", value.Digest());
            writer.WriteStartArray("first");
            value._ids.Take(MaxListed).ToList().ForEach(id => writer.WriteStringValue(id));
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
    }
}
