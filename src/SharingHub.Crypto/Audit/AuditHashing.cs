using System.Buffers;
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
        var buffer = new ArrayBufferWriter<byte>(512);
        WriteCanonical(e, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static ReadOnlySpan<byte> Head => "{\"v\":1,\"seq\":"u8;

    private static ReadOnlySpan<byte> Tail => ",\"prev\":\""u8;

    /// <summary>
    /// The part of the entry's canonical bytes that does not depend on its place in the log: everything between its sequence
    /// number and its predecessor's hash. A request makes it on its own thread before it queues its entry, so the log's single
    /// writer only puts the place around it (<see cref="Place"/>) and hashes.
    /// </summary>
    public static byte[] Unplaced(AuditEntry e)
    {
        var (sequence, previous) = (e.Sequence, e.PreviousHash);
        e.Sequence = 0;
        e.PreviousHash = [];
        try
        {
            var whole = Canonical(e);
            // {"v":1,"seq":0 ... ,"prev":""}
            return whole.AsSpan(Head.Length + 1, whole.Length - Head.Length - 1 - Tail.Length - 2).ToArray();
        }
        finally
        {
            (e.Sequence, e.PreviousHash) = (sequence, previous);
        }
    }

    /// <summary>The canonical bytes of the entry whose <see cref="Unplaced"/> part is <paramref name="unplaced"/>, at its place in the log: exactly <see cref="Canonical"/>'s.</summary>
    public static byte[] Place(long sequence, ReadOnlySpan<byte> unplaced, ReadOnlySpan<byte> previousHash)
    {
        Span<byte> digits = stackalloc byte[20];
        if (!System.Buffers.Text.Utf8Formatter.TryFormat(sequence, digits, out var length))
        {
            throw new ArgumentOutOfRangeException(nameof(sequence));
        }
        var bytes = new byte[Head.Length + length + unplaced.Length + Tail.Length + 2 * previousHash.Length + 2];
        var at = 0;
        Head.CopyTo(bytes);
        at += Head.Length;
        digits[..length].CopyTo(bytes.AsSpan(at));
        at += length;
        unplaced.CopyTo(bytes.AsSpan(at));
        at += unplaced.Length;
        Tail.CopyTo(bytes.AsSpan(at));
        at += Tail.Length;
        if (!Convert.TryToHexStringLower(previousHash, bytes.AsSpan(at), out var hex))
        {
            throw new ArgumentException("the previous hash does not fit", nameof(previousHash));
        }
        at += hex;
        bytes[at] = (byte)'"';
        bytes[at + 1] = (byte)'}';
        return bytes;
    }

    /// <summary>The Merkle leaf hash of the entry's canonical bytes: SHA-256(0x00 || canonical), written without a copy.</summary>
    public static byte[] LeafHash(AuditEntry e)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        buffer.GetSpan(1)[0] = 0;
        buffer.Advance(1);
        WriteCanonical(e, buffer);
        return SHA256.HashData(buffer.WrittenSpan);
    }

    /// <summary>
    /// Whether the entry's columns serialise to exactly the bytes stored with it (always true for an entry stored without
    /// them): the columns are the log's index, which reports and searches read, so they must say what the hash covers.
    /// </summary>
    public static bool ColumnsMatch(AuditEntry e)
    {
        if (e.Canonical is not { } stored)
        {
            return true;
        }
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        WriteCanonical(e, buffer);
        return buffer.WrittenSpan.SequenceEqual(stored);
    }

    /// <summary>
    /// Whether stored canonical bytes name the position and predecessor the entry's columns give: the hash chain and the
    /// order rest on these two, so the fast pass (stored bytes hashed, the other columns checked apart) reads them from
    /// the bytes without parsing the rest: they open with <c>{"v":1,"seq":N,</c> and close with <c>,"prev":"HEX"}</c>.
    /// </summary>
    public static bool LinksMatch(ReadOnlySpan<byte> stored, long sequence, ReadOnlySpan<byte> previousHash)
    {
        ReadOnlySpan<byte> head = "{\"v\":1,\"seq\":"u8;
        ReadOnlySpan<byte> tail = ",\"prev\":\""u8;
        if (!stored.StartsWith(head) || !System.Buffers.Text.Utf8Parser.TryParse(stored[head.Length..], out long seq, out var digits)
            || seq != sequence || stored.Length < head.Length + digits + 1 || stored[head.Length + digits] != (byte)',')
        {
            return false;
        }
        var hex = 2 * previousHash.Length;
        if (previousHash.Length > MerkleTree.HashSize || stored.Length < tail.Length + hex + 2 || !stored.EndsWith("\"}"u8))
        {
            return false;
        }
        var end = stored.Length - 2;
        if (!stored[..(end - hex)].EndsWith(tail))
        {
            return false;
        }
        Span<byte> expected = stackalloc byte[2 * MerkleTree.HashSize];
        return Convert.TryToHexStringLower(previousHash, expected, out var written) && stored[(end - hex)..end].SequenceEqual(expected[..written]);
    }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_json;

    private static void WriteCanonical(AuditEntry e, ArrayBufferWriter<byte> buffer)
    {
        var json = t_json ??= new Utf8JsonWriter(buffer);
        json.Reset(buffer);
        json.WriteStartObject();
        json.WriteNumber("v", 1);
        json.WriteNumber("seq", e.Sequence);
        json.WriteNumber("at", UnixMicroseconds(e.RecordedAt));
        json.WriteString("req", e.RequestId);
        json.WriteString("agency", e.Agency);
        json.WriteString("actor", e.Actor);
        json.WriteString("purpose", e.Purpose);
        Span<char> text = stackalloc char[2 * MerkleTree.HashSize];
        if (e.EnquiryId is { } enquiry && enquiry.TryFormat(text, out var written, "D"))
        {
            json.WriteString("enquiry", text[..written]);
        }
        else
        {
            json.WriteNull("enquiry");
        }
        json.WriteString("action", e.Action);
        json.WriteString("outcome", e.Outcome);
        json.WriteString("decision", e.Decision);
        json.WriteBoolean("override", e.IsOverride);
        json.WriteString("subjects", e.Subjects);
        json.WriteString("owners", e.Owners);
        // Kept since 2026-11 for the reports; written only when set, so entries from before still hash as they did,
        // and clearing them on an entry that had them breaks its hash like any other edit.
        if (e.Organisation.Length > 0)
        {
            json.WriteString("org", e.Organisation);
        }
        if (e.Disclosed != 0)
        {
            json.WriteNumber("disclosed", e.Disclosed);
        }
        if (e.Roles.Length > 0)
        {
            json.WriteString("roles", e.Roles);
        }
        json.WriteString("body", e.Body);
        if (e.PreviousHash.Length <= MerkleTree.HashSize && Convert.TryToHexStringLower(e.PreviousHash, text, out written))
        {
            json.WriteString("prev", text[..written]);
        }
        else
        {
            json.WriteString("prev", Convert.ToHexStringLower(e.PreviousHash));
        }
        json.WriteEndObject();
        json.Flush();
    }

    public static long UnixMicroseconds(DateTimeOffset at) => (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    /// <summary>What a checkpoint's signature covers: domain, tree size, root and time.</summary>
    public static byte[] CheckpointStatement(long treeSize, ReadOnlySpan<byte> root, DateTimeOffset createdAt) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"sharinghub-audit-checkpoint/v1\n{treeSize}\n{Convert.ToHexStringLower(root)}\n{UnixMicroseconds(createdAt)}\n"));

    public static bool VerifyCheckpoint(AuditCheckpoint checkpoint, ECDsa publicKey) =>
        publicKey.VerifyData(CheckpointStatement(checkpoint.TreeSize, checkpoint.RootHash, checkpoint.CreatedAt), checkpoint.Signature, HashAlgorithmName.SHA256);
}
