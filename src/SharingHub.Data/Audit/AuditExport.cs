using System.Text.Json;
using SharingHub.Core.Records;

namespace SharingHub.Data.Audit;

/// <summary>
/// The audit log as NDJSON, exactly as stored (hashes included), so it can be verified away from the
/// hub: one {"entry":...} line per entry in sequence order, then one {"checkpoint":...} line per checkpoint.
/// An entry stored with the bytes its hash covers carries them too (<c>Canonical</c>, base64): the verifier hashes those
/// and checks the entry's fields against them, so an export verifies whatever later releases serialise.
/// </summary>
public static class AuditExport
{
    public static void Write(TextWriter output, IEnumerable<AuditEntry> entries, IEnumerable<AuditCheckpoint> checkpoints)
    {
        foreach (var e in entries)
        {
            output.WriteLine(JsonSerializer.Serialize(new
            {
                entry = new
                {
                    e.Sequence, e.RecordedAt, e.RequestId, e.Agency, e.Actor, e.Purpose, e.EnquiryId, e.Action, e.Outcome, e.Decision,
                    e.IsOverride, e.Subjects, e.Owners, e.Organisation, e.Disclosed, e.Roles, e.Body, PreviousHash = Convert.ToBase64String(e.PreviousHash), EntryHash = Convert.ToBase64String(e.EntryHash),
                    Canonical = e.Canonical is null ? null : Convert.ToBase64String(e.Canonical),
                },
            }));
        }
        foreach (var c in checkpoints)
        {
            output.WriteLine(JsonSerializer.Serialize(new { checkpoint = CheckpointJson(c) }));
        }
    }

    public static object CheckpointJson(AuditCheckpoint c) => new
    {
        treeSize = c.TreeSize,
        rootHash = Convert.ToBase64String(c.RootHash),
        createdAt = c.CreatedAt,
        keyId = c.KeyId,
        signature = Convert.ToBase64String(c.Signature),
    };

    public static AuditCheckpoint ReadCheckpoint(JsonElement c) => new()
    {
        TreeSize = c.GetProperty("treeSize").GetInt64(),
        RootHash = Convert.FromBase64String(c.GetProperty("rootHash").GetString()!),
        CreatedAt = c.GetProperty("createdAt").GetDateTimeOffset(),
        KeyId = c.GetProperty("keyId").GetString()!,
        Signature = Convert.FromBase64String(c.GetProperty("signature").GetString()!),
    };

    /// <summary>Reads an export back, streaming entries and collecting checkpoints; a malformed line is reported with its number.</summary>
    public static IEnumerable<AuditEntry> ReadEntries(TextReader input, List<AuditCheckpoint> checkpoints)
    {
        var number = 0;
        while (input.ReadLine() is { } line)
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }
            JsonElement root;
            try
            {
                root = JsonDocument.Parse(line).RootElement;
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"line {number} is not JSON", e);
            }
            if (root.TryGetProperty("checkpoint", out var c))
            {
                checkpoints.Add(ReadCheckpoint(c));
                continue;
            }
            if (!root.TryGetProperty("entry", out var e2))
            {
                throw new InvalidDataException($"line {number} is neither an entry nor a checkpoint");
            }
            yield return new AuditEntry
            {
                Sequence = e2.GetProperty("Sequence").GetInt64(),
                RecordedAt = e2.GetProperty("RecordedAt").GetDateTimeOffset(),
                RequestId = e2.GetProperty("RequestId").GetString()!,
                Agency = e2.GetProperty("Agency").GetString()!,
                Actor = e2.GetProperty("Actor").GetString()!,
                Purpose = e2.GetProperty("Purpose").GetString(),
                EnquiryId = e2.GetProperty("EnquiryId").ValueKind == JsonValueKind.Null ? null : e2.GetProperty("EnquiryId").GetGuid(),
                Action = e2.GetProperty("Action").GetString()!,
                Outcome = e2.GetProperty("Outcome").GetString()!,
                Decision = e2.GetProperty("Decision").GetString()!,
                IsOverride = e2.GetProperty("IsOverride").GetBoolean(),
                Subjects = e2.GetProperty("Subjects").GetString()!,
                Owners = e2.GetProperty("Owners").GetString()!,
                // Exports made before these were kept have neither.
                Organisation = e2.TryGetProperty("Organisation", out var organisation) ? organisation.GetString() ?? "" : "",
                Disclosed = e2.TryGetProperty("Disclosed", out var disclosed) ? disclosed.GetInt32() : 0,
                Roles = e2.TryGetProperty("Roles", out var roles) ? roles.GetString() ?? "" : "",
                Body = e2.GetProperty("Body").GetString()!,
                PreviousHash = Convert.FromBase64String(e2.GetProperty("PreviousHash").GetString()!),
                EntryHash = Convert.FromBase64String(e2.GetProperty("EntryHash").GetString()!),
                // Exports made before entries kept their bytes, and entries written before, have none: hashed from the fields.
                Canonical = e2.TryGetProperty("Canonical", out var canonical) && canonical.ValueKind == JsonValueKind.String
                    ? Convert.FromBase64String(canonical.GetString()!) : null,
            };
        }
    }
}
