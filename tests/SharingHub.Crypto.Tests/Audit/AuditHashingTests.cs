using System.Text;
using SharingHub.Core.Records;
using SharingHub.Crypto.Audit;

namespace SharingHub.Crypto.Tests.Audit;

public sealed class AuditHashingTests
{
    private static AuditEntry Entry(long sequence, Guid? enquiry, byte[] previous) => new()
    {
        Sequence = sequence,
        RecordedAt = new DateTimeOffset(2026, 11, 22, 9, 30, 15, TimeSpan.Zero).AddTicks(1234560),
        RequestId = "req-\u00e9\"1",
        Agency = "police",
        Actor = "officer-7",
        Purpose = "s47-enquiry",
        EnquiryId = enquiry,
        Action = "event.read",
        Outcome = "success",
        Decision = "permit",
        IsOverride = false,
        Subjects = "|6b1f4c0e-7d43-4c55-9a51-0cd7d2d8a001|",
        Owners = "|health|",
        Body = """{"resources":[{"type":"event","decision":"permit"}]}""",
        PreviousHash = previous,
    };

    [Fact]
    public void Given_a_stored_entry_then_its_canonical_form_and_leaf_hash_are_fixed_so_logs_written_earlier_still_verify()
    {
        var previous = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();
        var entry = Entry(42, Guid.Parse("0b1f4c0e-7d43-4c55-9a51-0cd7d2d8a001"), previous);
        var canonical = Encoding.UTF8.GetString(AuditHashing.Canonical(entry));
        Assert.Equal(
            """{"v":1,"seq":42,"at":1795339815123456,"req":"req-\u00E9\u00221","agency":"police","actor":"officer-7","purpose":"s47-enquiry","enquiry":"0b1f4c0e-7d43-4c55-9a51-0cd7d2d8a001","action":"event.read","outcome":"success","decision":"permit","override":false,"subjects":"|6b1f4c0e-7d43-4c55-9a51-0cd7d2d8a001|","owners":"|health|","body":"{\u0022resources\u0022:[{\u0022type\u0022:\u0022event\u0022,\u0022decision\u0022:\u0022permit\u0022}]}","prev":"00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9"}""",
            canonical);
        Assert.Equal(Convert.ToHexStringLower(MerkleTree.LeafHash(AuditHashing.Canonical(entry))), Convert.ToHexStringLower(AuditHashing.LeafHash(entry)));
        Assert.Equal("d7676e84e0b6c70b510b8fa401e58ca7fe1988ee25399f4811cc6da6e702e529", Convert.ToHexStringLower(AuditHashing.LeafHash(entry)));
        // No enquiry and the first entry's empty previous hash.
        Assert.Contains("\"enquiry\":null", Encoding.UTF8.GetString(AuditHashing.Canonical(Entry(1, null, []))), StringComparison.Ordinal);
        Assert.EndsWith("\"prev\":\"\"}", Encoding.UTF8.GetString(AuditHashing.Canonical(Entry(1, null, []))), StringComparison.Ordinal);
    }

    [Fact]
    public void Given_an_entry_that_keeps_what_it_disclosed_and_who_asked_then_both_are_hashed_and_clearing_them_is_caught()
    {
        var entry = Entry(7, null, []);
        var before = AuditHashing.LeafHash(entry);
        entry.Disclosed = 142;
        entry.Roles = "|lcpp|macpt-member|";

        var canonical = Encoding.UTF8.GetString(AuditHashing.Canonical(entry));
        var kept = AuditHashing.LeafHash(entry);
        entry.Disclosed = 0;
        var cleared = AuditHashing.LeafHash(entry);

        Assert.Contains("\"owners\":\"|health|\",\"disclosed\":142,\"roles\":\"|lcpp|macpt-member|\",\"body\"", canonical, StringComparison.Ordinal);
        Assert.NotEqual(before, kept);
        Assert.NotEqual(kept, cleared);
    }

    [Fact]
    public void Given_a_long_log_hashed_on_every_core_then_it_verifies_and_the_first_altered_or_missing_entry_is_named()
    {
        var log = new List<AuditEntry>();
        var previous = Array.Empty<byte>();
        for (var sequence = 1; sequence <= 10_000; sequence++)
        {
            var entry = Entry(sequence, sequence % 3 == 0 ? null : Guid.NewGuid(), previous);
            entry.EntryHash = AuditHashing.LeafHash(entry);
            previous = entry.EntryHash;
            log.Add(entry);
        }
        var keys = new Dictionary<string, System.Security.Cryptography.ECDsa>();
        var whole = AuditVerifier.Verify(log, [], keys);
        Assert.True(whole.Ok, whole.Problem);
        Assert.Equal(10_000, whole.EntriesChecked);

        log[6_000].Body += " ";
        log[8_500].Body += " ";
        var altered = AuditVerifier.Verify(log, [], keys);
        Assert.False(altered.Ok);
        Assert.Equal(6_001, altered.FirstBadSequence);
        Assert.Equal("entry 6001 was altered after it was written", altered.Problem);

        log[6_000].Body = log[6_000].Body[..^1];
        log[8_500].Body = log[8_500].Body[..^1];
        log.RemoveAt(4_096);
        var missing = AuditVerifier.Verify(log, [], keys);
        Assert.Equal(4_097, missing.FirstBadSequence);
        Assert.Equal(4_096, missing.EntriesChecked);
    }

    [Fact]
    public void Given_entries_stored_with_their_bytes_then_the_bytes_are_hashed_and_an_edit_to_a_column_or_to_the_bytes_is_named()
    {
        var log = new List<AuditEntry>();
        var previous = Array.Empty<byte>();
        for (var sequence = 1; sequence <= 6_000; sequence++)
        {
            var entry = Entry(sequence, null, previous);
            // The first 1,000 as written before the bytes were kept: hashed from their columns.
            if (sequence > 1_000)
            {
                entry.Canonical = AuditHashing.Canonical(entry);
            }
            entry.EntryHash = AuditHashing.LeafHash(entry);
            previous = entry.EntryHash;
            log.Add(entry);
        }
        var keys = new Dictionary<string, System.Security.Cryptography.ECDsa>();
        Assert.True(AuditVerifier.Verify(log, [], keys).Ok);
        Assert.True(AuditVerifier.Verify(log, [], keys, columns: false).Ok);

        // A column edited, the bytes left: the log itself still holds (what was hashed is intact), the index does not.
        log[4_999].Actor = "someone-else";
        var edited = AuditVerifier.Verify(log, [], keys);
        Assert.Equal(5_000, edited.FirstBadSequence);
        Assert.Equal(AuditVerifier.ColumnsAltered(5_000), edited.Problem);
        Assert.True(AuditVerifier.Verify(log, [], keys, columns: false).Ok);
        log[4_999].Actor = "officer-7";

        // The bytes edited: their hash no longer matches; and another entry's bytes moved in name another position.
        var original = log[2_999].Canonical!;
        log[2_999].Canonical = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(original).Replace("officer-7", "officer-8", StringComparison.Ordinal));
        Assert.Equal("entry 3000 was altered after it was written", AuditVerifier.Verify(log, [], keys, columns: false).Problem);
        log[2_999].Canonical = log[3_000].Canonical;
        var moved = AuditVerifier.Verify(log, [], keys, columns: false);
        Assert.Equal(3_000, moved.FirstBadSequence);
        Assert.Contains("another position or predecessor", moved.Problem, StringComparison.Ordinal);
        log[2_999].Canonical = original;
        Assert.True(AuditVerifier.Verify(log, [], keys, columns: false).Ok);
    }

    [Theory]
    [InlineData(42, true, 42, true)]
    [InlineData(42, true, 43, true)]
    [InlineData(1, false, 1, false)]
    [InlineData(1, false, 1, true)]
    public void Given_stored_bytes_then_their_position_and_predecessor_are_read_from_them(long written, bool withPrevious, long claimed, bool claimPrevious)
    {
        var previous = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var bytes = AuditHashing.Canonical(Entry(written, null, withPrevious ? previous : []));
        var expected = written == claimed && withPrevious == claimPrevious;
        Assert.Equal(expected, AuditHashing.LinksMatch(bytes, claimed, claimPrevious ? previous : []));
        Assert.False(AuditHashing.LinksMatch(bytes[..^1], written, withPrevious ? previous : []));
        Assert.False(AuditHashing.LinksMatch(bytes[1..], written, withPrevious ? previous : []));
    }

    public static TheoryData<long, bool, int, string, string, int, string> Places() => new()
    {
        { 1, false, 0, "", "", 0, "{}" },
        { 42, true, 32, "Hackney", "|lcpp|manager|", 3, """{"resources":[{"type":"event","fields":["summary"]}],"note":"\"quoted\" \u00e9 \n"}""" },
        { 999_999_999_999, true, 32, "", "|lcpp|", 0, "\u2028 <script> & \\ \u0000" },
        { long.MaxValue, false, 32, "NHS North East London ICB", "", 12, new string('x', 4_000) },
    };

    [Theory]
    [MemberData(nameof(Places))]
    public void Given_an_entry_shaped_before_its_place_is_known_then_placing_it_gives_exactly_the_canonical_bytes(
        long sequence, bool withEnquiry, int previousLength, string organisation, string roles, int disclosed, string body)
    {
        var previous = Enumerable.Range(0, previousLength).Select(i => (byte)(255 - i * 3)).ToArray();
        var entry = Entry(sequence, withEnquiry ? Guid.Parse("0b1f4c0e-7d43-4c55-9a51-0cd7d2d8a001") : null, previous);
        entry.Organisation = organisation;
        entry.Roles = roles;
        entry.Disclosed = disclosed;
        entry.Body = body;

        // Shaped with some other place already on it: the unplaced part must not carry it.
        var shaped = Entry(7, entry.EnquiryId, [1, 2, 3]);
        (shaped.Organisation, shaped.Roles, shaped.Disclosed, shaped.Body) = (organisation, roles, disclosed, body);
        var placed = AuditHashing.Place(sequence, AuditHashing.Unplaced(shaped), previous);

        Assert.Equal(Encoding.UTF8.GetString(AuditHashing.Canonical(entry)), Encoding.UTF8.GetString(placed));
        Assert.Equal(AuditHashing.LeafHash(entry), MerkleTree.LeafHash(placed));
        Assert.True(AuditHashing.LinksMatch(placed, sequence, previous));
        Assert.Equal(7, shaped.Sequence);
        Assert.Equal([1, 2, 3], shaped.PreviousHash);
    }
}
