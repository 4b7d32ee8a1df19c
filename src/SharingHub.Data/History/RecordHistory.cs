using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SharingHub.Core.Crypto;
using SharingHub.Core.Records;

namespace SharingHub.Data.History;

/// <summary>
/// One earlier version of a record, kept when the record is updated. The snapshot holds the record as it
/// was stored: sensitive fields stay sealed (bound to the same record id and field, so they open with
/// the same keys), and shredding a key makes old versions unreadable as well.
/// </summary>
public sealed class RecordVersion
{
    public Guid RecordId { get; set; }
    public long Version { get; set; }
    public string RecordType { get; set; } = "";
    public string OwningAgency { get; set; } = "";
    public string DataClass { get; set; } = "";
    public DateTimeOffset UpdatedAt { get; set; }
    public byte[] Snapshot { get; set; } = [];
}

internal sealed class RecordVersionConfiguration : IEntityTypeConfiguration<RecordVersion>
{
    public void Configure(EntityTypeBuilder<RecordVersion> builder)
    {
        builder.ToTable("RecordHistory");
        builder.HasKey(v => new { v.RecordId, v.Version });
        builder.Property(v => v.RecordType).HasMaxLength(64);
        builder.Property(v => v.OwningAgency).HasMaxLength(32);
        builder.Property(v => v.DataClass).HasMaxLength(64);
    }
}

/// <summary>Records to and from their stored snapshot form (JSON, sealed values as their stored bytes).</summary>
public static class RecordSnapshots
{
    private static readonly JsonSerializerOptions Options = new()
    {
        Converters = { new SealedConverter(), new JsonStringEnumConverter() },
        ReferenceHandler = ReferenceHandler.IgnoreCycles,
    };

    public static RecordVersion Of(Record record) => new()
    {
        RecordId = record.Id,
        Version = record.Version,
        RecordType = record.GetType().Name,
        OwningAgency = record.OwningAgency,
        DataClass = record.DataClass,
        UpdatedAt = record.UpdatedAt,
        Snapshot = JsonSerializer.SerializeToUtf8Bytes(record, record.GetType(), Options),
    };

    public static T Restore<T>(RecordVersion version)
        where T : Record
    {
        ArgumentNullException.ThrowIfNull(version);
        return JsonSerializer.Deserialize<T>(version.Snapshot, Options) ?? throw new InvalidDataException($"history of {version.RecordId} v{version.Version} is empty");
    }

    private sealed class SealedConverter : JsonConverter<EncryptedValue>
    {
        public override EncryptedValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            EncryptedValue.FromBytes(reader.GetBytesFromBase64());

        public override void Write(Utf8JsonWriter writer, EncryptedValue value, JsonSerializerOptions options) =>
            writer.WriteBase64StringValue(value.ToBytes());
    }
}
