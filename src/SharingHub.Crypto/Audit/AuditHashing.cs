using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SharingHub.Core.Records;

namespace SharingHub.Crypto.Audit;

/// <summary>
/// The canonical bytes of a stored audit entry (every column but its own hash, in a fixed order and
/// format), its Merkle leaf hash, and the signed checkpoint statement. Hashing the stored form means
/// the log verifies from the database alone, and still verifies after data keys are shredded.
/// </summary>
public static class AuditHashing
{
    public static byte[] Canonical(AuditEntry e)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("v", 1);
            json.WriteNumber("seq", e.Sequence);
            json.WriteNumber("at", UnixMicroseconds(e.RecordedAt));
            json.WriteString("req", e.RequestId);
            json.WriteString("agency", e.Agency);
            json.WriteString("actor", e.Actor);
            json.WriteString("purpose", e.Purpose);
            json.WriteString("enquiry", e.EnquiryId?.ToString("D"));
            json.WriteString("action", e.Action);
            json.WriteString("outcome", e.Outcome);
            json.WriteString("decision", e.Decision);
            json.WriteBoolean("override", e.IsOverride);
            json.WriteString("subjects", e.Subjects);
            json.WriteString("owners", e.Owners);
            json.WriteString("body", e.Body);
            json.WriteString("prev", Convert.ToHexStringLower(e.PreviousHash));
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    public static byte[] LeafHash(AuditEntry e) => MerkleTree.LeafHash(Canonical(e));

    public static long UnixMicroseconds(DateTimeOffset at) => (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    /// <summary>What a checkpoint's signature covers: domain, tree size, root and time.</summary>
    public static byte[] CheckpointStatement(long treeSize, ReadOnlySpan<byte> root, DateTimeOffset createdAt) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"sharinghub-audit-checkpoint/v1\n{treeSize}\n{Convert.ToHexStringLower(root)}\n{UnixMicroseconds(createdAt)}\n"));

    public static bool VerifyCheckpoint(AuditCheckpoint checkpoint, ECDsa publicKey) =>
        publicKey.VerifyData(CheckpointStatement(checkpoint.TreeSize, checkpoint.RootHash, checkpoint.CreatedAt), checkpoint.Signature, HashAlgorithmName.SHA256);
}
