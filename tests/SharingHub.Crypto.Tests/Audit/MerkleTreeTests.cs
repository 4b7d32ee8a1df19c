using System.Text;
using FsCheck;
using FsCheck.Fluent;
using SharingHub.Crypto.Audit;

namespace SharingHub.Crypto.Tests.Audit;

public sealed class MerkleTreeTests
{
    private static List<byte[]> Leaves(int n) => Enumerable.Range(0, n).Select(i => MerkleTree.LeafHash(Encoding.UTF8.GetBytes($"entry {i}"))).ToList();

    [Fact]
    public void Given_known_inputs_then_hashes_match_rfc_6962_domain_separation()
    {
        // Empty tree: SHA-256 of nothing; one leaf: SHA-256(0x00); the certificate-transparency test vectors use these.
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Convert.ToHexStringLower(MerkleTree.Root([])));
        Assert.Equal("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", Convert.ToHexStringLower(MerkleTree.LeafHash([])));
        Assert.Equal("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", Convert.ToHexStringLower(MerkleTree.LeafHash([0])));
    }

    [Fact]
    public void Given_any_size_then_the_streaming_frontier_gives_the_same_root_as_the_whole_tree()
    {
        for (var n = 0; n <= 70; n++)
        {
            var leaves = Leaves(n);
            var frontier = new MerkleFrontier();
            leaves.ForEach(l => frontier.Append(l));
            Assert.Equal(MerkleTree.Root(leaves), frontier.Root());
        }
    }

    [Fact]
    public void Given_any_leaf_of_any_tree_then_its_inclusion_proof_verifies_and_a_mutated_one_does_not()
    {
        Prop.ForAll(Gen.Choose(1, 200).ToArbitrary(), Gen.Choose(0, int.MaxValue).ToArbitrary(), (size, seed) =>
        {
            var leaves = Leaves(size);
            var index = seed % size;
            var root = MerkleTree.Root(leaves);
            var proof = MerkleTree.InclusionProof(leaves, index, size);
            var ok = MerkleTree.VerifyInclusion(leaves[index], index, size, proof, root);
            var wrongLeaf = !MerkleTree.VerifyInclusion(MerkleTree.LeafHash([1, 2, 3]), index, size, proof, root);
            var wrongIndex = size == 1 || !MerkleTree.VerifyInclusion(leaves[index], (index + 1) % size, size, proof, root);
            var mutated = proof.Count == 0 || !MerkleTree.VerifyInclusion(leaves[index], index, size,
                proof.Select((p, i) => i == seed % proof.Count ? Flip(p) : p).ToList(), root);
            return ok && wrongLeaf && wrongIndex && mutated;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Given_two_sizes_of_one_log_then_the_consistency_proof_verifies_and_a_forked_log_fails()
    {
        Prop.ForAll(Gen.Choose(1, 150).ToArbitrary(), Gen.Choose(0, 150).ToArbitrary(), (first, extra) =>
        {
            var second = first + extra;
            var leaves = Leaves(second);
            var firstRoot = MerkleTree.Root(leaves.Take(first).ToList());
            var secondRoot = MerkleTree.Root(leaves);
            var proof = MerkleTree.ConsistencyProof(leaves, first, second);
            var ok = MerkleTree.VerifyConsistency(first, second, firstRoot, secondRoot, proof);
            // A fork: the same first entries, one of them rewritten afterwards.
            var forked = leaves.ToList();
            forked[first - 1] = MerkleTree.LeafHash([9, 9, 9]);
            var forkedRoot = MerkleTree.Root(forked);
            var forkDetected = !MerkleTree.VerifyConsistency(first, second, firstRoot, forkedRoot, MerkleTree.ConsistencyProof(forked, first, second));
            return ok && forkDetected;
        }).QuickCheckThrowOnFailure();
    }

    private static byte[] Flip(byte[] hash)
    {
        var copy = (byte[])hash.Clone();
        copy[0] ^= 1;
        return copy;
    }
}

public sealed class MerkleProofsFromStoredSubtreesTests
{
    [Fact]
    public async Task Given_stored_complete_subtrees_then_proofs_equal_those_computed_from_every_leaf()
    {
        var leaves = Enumerable.Range(0, 300).Select(i => MerkleTree.LeafHash([(byte)i, (byte)(i >> 8)])).ToList();
        var nodes = new Dictionary<(int, long), byte[]>();
        var frontier = new MerkleFrontier();
        foreach (var leaf in leaves)
        {
            frontier.Append(leaf, (level, index, hash) => nodes[(level, index)] = hash);
        }
        Task<byte[]> Node(int level, long index) => Task.FromResult(level == 0 ? leaves[(int)index] : nodes[(level, index)]);

        for (var size = 1; size <= 300; size += 7)
        {
            for (var index = 0; index < size; index += 5)
            {
                Assert.Equal(MerkleTree.InclusionProof(leaves, index, size), await MerkleProofs.InclusionAsync(index, size, Node));
            }
            for (var first = 1; first <= size; first += 9)
            {
                Assert.Equal(MerkleTree.ConsistencyProof(leaves, first, size), await MerkleProofs.ConsistencyAsync(first, size, Node));
            }
        }
    }

    [Fact]
    public void Given_a_tree_of_any_size_then_its_edge_read_from_its_complete_subtrees_has_its_root_and_grows_as_if_built_leaf_by_leaf()
    {
        var leaves = Enumerable.Range(0, 300).Select(i => MerkleTree.LeafHash([(byte)i, (byte)(i >> 8), 7])).ToList();
        var nodes = new Dictionary<(int, long), byte[]>();
        var built = new MerkleFrontier();
        leaves.ForEach(leaf => built.Append(leaf, (level, index, hash) => nodes[(level, index)] = hash));

        for (var size = 0; size <= 260; size++)
        {
            var edge = MerkleFrontier.Edge(size);
            Assert.Equal(System.Numerics.BitOperations.PopCount((ulong)size), edge.Count);
            var loaded = MerkleFrontier.FromEdge(size, edge.Select(e => e.Level == 0 ? leaves[(int)e.Index] : nodes[(e.Level, e.Index)]).ToList());
            Assert.Equal(size, loaded.Size);
            Assert.Equal(MerkleTree.Root(leaves.Take(size).ToList()), loaded.Root());
            // Appending to the loaded edge gives what appending to the tree built leaf by leaf gives, subtrees closed included.
            var closed = new List<(int, long, byte[])>();
            leaves.Skip(size).Take(40).ToList().ForEach(leaf => loaded.Append(leaf, (level, index, hash) => closed.Add((level, index, hash))));
            Assert.Equal(MerkleTree.Root(leaves.Take(loaded.Size > 300 ? 300 : (int)loaded.Size).ToList()), loaded.Root());
            Assert.All(closed, c => Assert.Equal(nodes[(c.Item1, c.Item2)], c.Item3));
        }
        Assert.Throws<ArgumentException>(() => MerkleFrontier.FromEdge(5, [leaves[0]]));
    }
}
