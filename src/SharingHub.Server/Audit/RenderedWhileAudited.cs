using System.Buffers;
using System.Security.Cryptography;

namespace SharingHub.Server.Audit;

/// <summary>
/// A result whose body can be made in memory while the request's audit entry commits. The audit filter queues the entry,
/// has the result render, and only then waits for the commit, so writing the body (CPU) overlaps the entry's durable flush
/// (the disk). Nothing is sent before the entry has committed: <see cref="IResult.ExecuteAsync"/> runs only after the
/// filter returns the result, and a body made for an answer that is then refused (the entry could not commit) is dropped
/// unsent, its memory cleared.
/// </summary>
internal interface IRenderedWhileAudited
{
    /// <summary>Makes the body in memory. Never throws: a body that could not be made is made again, and fails, when the result is executed.</summary>
    void Render();

    /// <summary>Drops a body made for an answer that is not sent after all, clearing its memory.</summary>
    void Discard();
}

/// <summary>
/// A response body made in memory from pooled arrays (a chronology is a few hundred kilobytes: one array each would be
/// garbage on the large-object heap). What it held is personal data, so its arrays are cleared when they go back to the pool.
/// </summary>
internal sealed class RenderedBody : IBufferWriter<byte>, IDisposable
{
    private const int FirstSize = 16 * 1024;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(FirstSize);
    private int _written;

    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _written);

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_written + count > _buffer.Length)
        {
            throw new InvalidOperationException("advanced past the end of the body's buffer");
        }
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => _buffer.AsMemory(Reserve(sizeHint));

    public Span<byte> GetSpan(int sizeHint = 0) => _buffer.AsSpan(Reserve(sizeHint));

    private int Reserve(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed > _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, checked(_buffer.Length * 2)));
            _buffer.AsSpan(0, _written).CopyTo(larger);
            Return(_buffer);
            _buffer = larger;
        }
        return _written;
    }

    public void Dispose()
    {
        Return(_buffer);
        _buffer = [];
        _written = 0;
    }

    /// <summary>Cleared whole: a serialiser may have written past what it advanced before it failed.</summary>
    private static void Return(byte[] buffer)
    {
        if (buffer.Length == 0)
        {
            return;
        }
        CryptographicOperations.ZeroMemory(buffer);
        ArrayPool<byte>.Shared.Return(buffer);
    }
}
