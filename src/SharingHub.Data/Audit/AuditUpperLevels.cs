using System.Collections.Concurrent;

namespace SharingHub.Data.Audit;

/// <summary>
/// The upper levels of the audit log's Merkle tree, kept in memory for proofs (issue 27). Every proof needs one stored
/// subtree at each level; the levels from <see cref="Lowest"/> up hold few subtrees (at most <see cref="DefaultCapacity"/>
/// all told, about 6 MB), so a proof reads from the database only its leaf and the few levels below. A stored subtree is
/// complete and never changes (the checkpointer stores only complete subtrees, never over one already stored), so what
/// is kept here can never disagree with the database; the log is append-only under a running hub, as the checkpointer's
/// own frontier already assumes (a restore is made with the hub stopped).
/// </summary>
internal sealed class AuditUpperLevels
{
    /// <summary>At most this many subtrees are kept, unless a test says fewer.</summary>
    public const int DefaultCapacity = 1 << 16;

    private readonly ConcurrentDictionary<(int Level, long Index), byte[]> _nodes;
    private readonly int _capacity;

    public AuditUpperLevels(int lowest, int capacity, IEnumerable<(int Level, long Index, byte[] Hash)> nodes)
    {
        Lowest = lowest;
        _capacity = capacity;
        _nodes = new(nodes.Select(n => KeyValuePair.Create((n.Level, n.Index), n.Hash)));
    }

    /// <summary>The lowest level kept.</summary>
    public int Lowest { get; }

    public int Count => _nodes.Count;

    /// <summary>
    /// The lowest level at which the subtrees of a log of <paramref name="size"/> entries, that level and every one above
    /// it (about twice the level's own count), fit in <paramref name="capacity"/>. Level 0 is the entries themselves, never kept.
    /// </summary>
    public static int LowestFor(long size, int capacity)
    {
        var level = 1;
        while (level < 62 && (size >> level) > capacity / 2)
        {
            level++;
        }
        return level;
    }

    public bool TryGet((int Level, long Index) node, out byte[] hash) => _nodes.TryGetValue(node, out hash!);

    /// <summary>Keeps a subtree read from the database (one stored after these levels were loaded), if it is at a kept level and there is room.</summary>
    public void Offer((int Level, long Index) node, byte[] hash)
    {
        if (node.Level >= Lowest && _nodes.Count < _capacity)
        {
            _nodes.TryAdd(node, hash);
        }
    }
}
