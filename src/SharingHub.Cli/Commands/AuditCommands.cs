using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Records;
using SharingHub.Crypto.Audit;
using SharingHub.Crypto.Signing;
using SharingHub.Data.Audit;
using SharingHub.Data.Storage;

namespace SharingHub.Cli.Commands;

internal static class AuditCommands
{
    public static Command Create()
    {
        var export = new Option<string?>("--export") { Description = "Verify an exported log (NDJSON from 'sharinghub audit export') instead of a database" };
        var publicKey = new Option<string?>("--public-key") { Description = "The audit public key as published at /audit/public-key (JWKS JSON); default: the hub's own key files" };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "A signed checkpoint kept elsewhere (JSON from /audit/checkpoint): proves the log was not truncated since" };
        var logOnly = new Option<bool>("--log-only")
        {
            Description = "Check only what the hashes and checkpoints cover (each entry's stored bytes), not the columns reports read against them: about twice as fast",
        };
        var verify = new Command("verify", "Verify the audit log: contiguous, chained, every entry's hash over its stored bytes, its columns against them, every signed checkpoint; names the first bad entry")
        {
            export, publicKey, checkpoint, logOnly,
        };
        HubServices.AddTo(verify);
        verify.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            using var host = HubServices.Build(parse);
            var checkpoints = new List<AuditCheckpoint>();
            if (parse.GetValue(checkpoint) is { } checkpointFile)
            {
                if (ReadCheckpointFile(checkpointFile) is not { } outside)
                {
                    await error.WriteLineAsync($"{checkpointFile} is not a signed checkpoint as /audit/checkpoint publishes it (treeSize, rootHash, createdAt, keyId, signature)");
                    return 2;
                }
                checkpoints.Add(outside);
            }
            var clock = Stopwatch.StartNew();
            AuditVerification result;
            if (parse.GetValue(export) is { } exportFile)
            {
                var keys = parse.GetValue(publicKey) is { } jwks
                    ? KeysFromJwks(await File.ReadAllTextAsync(jwks, cancellationToken))
                    : host.Services.GetRequiredService<AuditCheckpointer>().PublicKeys;
                // The checkpoints come last in the file: one pass collects them, a second streams the entries through the verifier.
                var fromFile = new List<AuditCheckpoint>();
                using (var scan = File.OpenText(exportFile))
                {
                    _ = AuditExport.ReadEntries(scan, fromFile).Count();
                }
                using var reader = File.OpenText(exportFile);
                result = AuditVerifier.Verify(AuditExport.ReadEntries(reader, []), StoredAuditLog.Distinct([.. checkpoints, .. fromFile]), keys);
            }
            else
            {
                result = await VerifyStoredAsync(host.Services, checkpoints, cancellationToken,
                    parse.GetValue(publicKey) is { } jwks ? KeysFromJwks(await File.ReadAllTextAsync(jwks, cancellationToken)) : null, parse.GetValue(logOnly));
            }
            var rate = result.EntriesChecked / Math.Max(clock.Elapsed.TotalSeconds, 1e-6);
            if (!result.Ok)
            {
                await error.WriteLineAsync($"TAMPERED: first bad entry {result.FirstBadSequence}: {result.Problem}");
                return 1;
            }
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"intact: {result.EntriesChecked} entries and {result.CheckpointsChecked} signed checkpoints verified ({rate:N0} entries/s); latest checkpoint covers {result.LatestCheckpointSize?.ToString(CultureInfo.InvariantCulture) ?? "none"}{(parse.GetValue(logOnly) ? " (log only: columns not checked)" : "")}"));
            return 0;
        });

        var outFile = new Option<string>("--out") { Description = "Where to write the export (NDJSON)", Required = true };
        var exportCommand = new Command("export", "Export the audit log as stored, with its checkpoints, for verification elsewhere") { outFile };
        HubServices.AddTo(exportCommand);
        exportCommand.SetAction(async (parse, cancellationToken) =>
        {
            using var host = HubServices.Build(parse);
            await using var db = host.Services.GetRequiredService<IHubDbContextFactory>().Create();
            await using var writer = File.CreateText(parse.GetValue(outFile)!);
            AuditExport.Write(writer, db.AuditEntries.AsNoTracking().OrderBy(a => a.Sequence).AsEnumerable(),
                await db.AuditCheckpoints.AsNoTracking().OrderBy(c => c.TreeSize).ToListAsync(cancellationToken));
            await parse.InvocationConfiguration.Output.WriteLineAsync($"exported to {parse.GetValue(outFile)}");
            return 0;
        });

        var checkpointNow = new Command("checkpoint", "Sign a checkpoint over everything committed so far, and print it (keep a copy elsewhere)");
        HubServices.AddTo(checkpointNow);
        checkpointNow.SetAction(async (parse, cancellationToken) =>
        {
            using var host = HubServices.Build(parse);
            var signed = await host.Services.GetRequiredService<AuditCheckpointer>().CheckpointNowAsync(cancellationToken);
            await parse.InvocationConfiguration.Output.WriteLineAsync(signed is null ? "the log is empty" : JsonSerializer.Serialize(AuditExport.CheckpointJson(signed)));
            return 0;
        });

        var publicKeyCommand = new Command("public-key", "Print the audit public keys (JWKS), for verifiers");
        HubServices.AddTo(publicKeyCommand);
        publicKeyCommand.SetAction(async (parse, cancellationToken) =>
        {
            using var host = HubServices.Build(parse);
            var keys = host.Services.GetRequiredService<AuditCheckpointer>().Keys.Published.Select(HubSigningKeys.PublicJwk);
            await parse.InvocationConfiguration.Output.WriteLineAsync(JsonSerializer.Serialize(new { keys }));
            return 0;
        });
        return new Command("audit", "The tamper-evident audit log") { verify, exportCommand, checkpointNow, publicKeyCommand };
    }

    /// <summary>A signed checkpoint as /audit/checkpoint publishes it, read from a file; null when the file is not one.</summary>
    public static AuditCheckpoint? ReadCheckpointFile(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            return AuditExport.ReadCheckpoint(document.RootElement);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or InvalidOperationException or IOException)
        {
            return null;
        }
    }

    /// <summary>The stored log verified as <c>audit verify</c> does (<see cref="StoredAuditLog"/>), with its own and any outside checkpoints.</summary>
    public static Task<AuditVerification> VerifyStoredAsync(IServiceProvider services, IEnumerable<AuditCheckpoint> outside, CancellationToken cancellationToken,
        Dictionary<string, ECDsa>? keys = null, bool logOnly = false) =>
        StoredAuditLog.VerifyAsync(services.GetRequiredService<IHubDbContextFactory>(), outside, keys ?? services.GetRequiredService<AuditCheckpointer>().PublicKeys, cancellationToken,
            logOnly);

    private static Dictionary<string, ECDsa> KeysFromJwks(string json)
    {
        var keys = new Dictionary<string, ECDsa>(StringComparer.Ordinal);
        foreach (var k in JsonDocument.Parse(json).RootElement.GetProperty("keys").EnumerateArray())
        {
            keys[k.GetProperty("kid").GetString()!] = HubSigningKeys.PublicKeyFromJwk(k);
        }
        return keys;
    }
}
