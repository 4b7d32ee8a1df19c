using System.Diagnostics;
using System.Security.Cryptography;
using SharingHub.Core.Crypto;
using SharingHub.Data.Storage;
using SharingHub.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace SharingHub.Benchmarks;

/// <summary>
/// Field decryption per second on one core for typical field sizes, through the hub's cipher (key
/// lookup, AES-GCM with associated data, UTF-8 decoding), against bare AES-GCM decryption of the same
/// bytes with a ready cipher instance: the ratio is what the envelope and bookkeeping cost.
/// </summary>
internal static class CryptoBenchmark
{
    public static async Task RunAsync(Report report, bool smoke)
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseEngine.Sqlite);
        await using var services = await database.StartServicesAsync();
        var cipher = services.GetRequiredService<IFieldCipher>();
        var context = new FieldContext(Guid.NewGuid(), "Detail", "police", "police.incident");
        var iterations = smoke ? 2_000 : 500_000;
        foreach (var size in new[] { 32, 256, 2048 })
        {
            var value = cipher.Encrypt(new string('x', size), context);
            var rawKey = RandomNumberGenerator.GetBytes(32);
            var nonce = RandomNumberGenerator.GetBytes(12);
            var plain = new byte[size];
            var sealedBytes = new byte[size];
            var tag = new byte[16];
            using var aes = new AesGcm(rawKey, 16);
            aes.Encrypt(nonce, plain, sealedBytes, tag);

            var clock = Stopwatch.StartNew();
            for (var i = 0; i < iterations; i++)
            {
                aes.Decrypt(nonce, sealedBytes, tag, plain);
            }
            var bare = iterations / clock.Elapsed.TotalSeconds;
            clock.Restart();
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < iterations; i++)
            {
                _ = cipher.Decrypt(value, context);
            }
            var hub = iterations / clock.Elapsed.TotalSeconds;
            var bytes = (GC.GetAllocatedBytesForCurrentThread() - allocated) / (double)iterations;
            report.Add(new Figure("crypto", $"decrypt a {size}-byte field, bare AES-GCM (baseline)", bare, null, 1, "itself"));
            report.Add(new Figure("crypto", $"decrypt a {size}-byte field through the hub's cipher", hub, bytes, bare / hub, "bare AES-GCM (cost ratio)"));
        }
    }
}
