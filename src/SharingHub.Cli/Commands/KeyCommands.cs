using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SharingHub.Core.Audit;
using SharingHub.Core.Crypto;
using SharingHub.Crypto.Keys;
using SharingHub.Crypto.Signing;
using SharingHub.Data.Audit;
using SharingHub.Data.Keys;

namespace SharingHub.Cli.Commands;

internal static class KeyCommands
{
    public static Command Create()
    {
        var signingKeys = new Option<string>("--signing-keys") { Description = "The hub's signing key file (default: data/signing-keys.json)", DefaultValueFactory = _ => "data/signing-keys.json" };
        var keyRing = new Option<string>("--key-ring") { Description = "The local key ring (default: data/keyring.json)", DefaultValueFactory = _ => "data/keyring.json" };
        var rotateSigning = new Command("rotate-signing", "Start signing tokens with a new key; the old key stays published until its tokens have expired") { signingKeys, keyRing };
        rotateSigning.SetAction(parse =>
        {
            var keys = new HubSigningKeys(parse.GetValue(signingKeys)!, TimeSpan.FromSeconds(360), LocalKeyRing.OpenExisting(parse.GetValue(keyRing)!), TimeProvider.System);
            parse.InvocationConfiguration.Output.WriteLine($"new signing key {keys.Rotate()}; a running hub picks it up within a minute");
            return 0;
        });

        var list = new Command("list", "List the data keys: agency, data class, generation, wrapping key, created, destroyed");
        HubServices.AddTo(list);
        list.SetAction(parse =>
        {
            using var host = HubServices.Build(parse);
            foreach (var k in host.Services.GetRequiredService<IDataKeyStore>().All())
            {
                parse.InvocationConfiguration.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{k.KeyId,-48} kek {k.KekId,-18} created {k.CreatedAt:yyyy-MM-dd HH:mm}{(k.DestroyedAt is { } d ? $"  DESTROYED {d:yyyy-MM-dd HH:mm}" : "")}"));
            }
            return 0;
        });

        var agency = new Option<string?>("--agency") { Description = "Only this agency" };
        var dataClass = new Option<string?>("--data-class") { Description = "Only this data class" };
        var rotateData = new Command("rotate-data", "Start new data keys for new writes (older values stay readable under their keys)") { agency, dataClass };
        HubServices.AddTo(rotateData);
        rotateData.SetAction(parse =>
        {
            using var host = HubServices.Build(parse);
            var store = host.Services.GetRequiredService<IDataKeyStore>();
            var ring = host.Services.GetRequiredService<DataKeyRing>();
            var targets = store.All().Where(k => k.DestroyedAt is null
                    && (parse.GetValue(agency) is not { } a || k.Agency == a) && (parse.GetValue(dataClass) is not { } c || k.DataClass == c))
                .Select(k => (k.Agency, k.DataClass)).Distinct().ToList();
            foreach (var (a, c) in targets)
            {
                parse.InvocationConfiguration.Output.WriteLine($"rotated {a} {c}: new key {ring.Rotate(a, c)}");
            }
            return 0;
        });

        var kekAgency = new Option<string?>("--agency") { Description = "Give this agency its own key-encryption key instead of rotating the hub's" };
        var rotateKek = new Command("rotate-kek", "Add a key-encryption key and re-wrap every data key under it; no ciphertext is touched") { kekAgency };
        HubServices.AddTo(rotateKek);
        rotateKek.SetAction(parse =>
        {
            using var host = HubServices.Build(parse);
            if (LocalRing(host, parse, "rotate") is not { } local)
            {
                return 2;
            }
            var kek = local.AddKek(parse.GetValue(kekAgency));
            var changed = host.Services.GetRequiredService<DataKeyRing>().Rewrap();
            parse.InvocationConfiguration.Output.WriteLine($"new key-encryption key {kek}{(parse.GetValue(kekAgency) is { } a ? $" for {a}" : "")}; re-wrapped {changed} data keys");
            return 0;
        });

        var moveToVault = new Command("move-to-vault",
            "After switching to Azure Key Vault (SharingHub:KeyVault:VaultUri): re-wrap every data key still wrapped by the local ring under the vault's keys; no ciphertext is touched");
        HubServices.AddTo(moveToVault);
        moveToVault.SetAction(parse =>
        {
            using var host = HubServices.Build(parse);
            if (host.Services.GetRequiredService<IKeyEncryptionKeyProviderWithIndexKey>() is not VaultWithLocalIndexKey)
            {
                parse.InvocationConfiguration.Error.WriteLine("move-to-vault needs the vault configured: set SharingHub:KeyVault:VaultUri (e.g. SharingHub__KeyVault__VaultUri)");
                return 2;
            }
            var changed = host.Services.GetRequiredService<DataKeyRing>().Rewrap();
            parse.InvocationConfiguration.Output.WriteLine($"re-wrapped {changed} data keys under the vault's key-encryption keys");
            return 0;
        });

        var kekId = new Option<string>("--kek-id") { Description = "The key-encryption key to revoke", Required = true };
        var revoke = new Command("revoke-kek", "Revoke a key-encryption key: every data key it wraps, and so every field under them, becomes unreadable") { kekId };
        HubServices.AddTo(revoke);
        revoke.SetAction(async (parse, cancellationToken) =>
        {
            using var host = HubServices.Build(parse);
            if (LocalRing(host, parse, "revoke") is not { } local)
            {
                return 2;
            }
            try
            {
                local.RevokeKek(parse.GetValue(kekId)!);
            }
            catch (KeyRingException e)
            {
                parse.InvocationConfiguration.Error.WriteLine(e.Message);
                return 2;
            }
            var told = await Data.Cluster.ClusterNotices.TellAsync(Contexts(host), cancellationToken, Data.Cluster.ClusterNotices.Keys);
            parse.InvocationConfiguration.Output.WriteLine($"revoked {parse.GetValue(kekId)}; {(told ? "running hubs on this PostgreSQL database stop serving its fields at once, others" : "a running hub stops serving its fields")} within a minute");
            return 0;
        });

        var keyId = new Option<string?>("--key-id") { Description = "The data key to destroy (see 'keys list')" };
        var subject = new Option<Guid?>("--subject") { Description = "A person's record id: destroy that person's own data keys and blind indexes (erasure of one person)" };
        var reason = new Option<string>("--reason") { Description = "Why (retention period ended, erasure request ...): recorded in the audit log", Required = true };
        var shred = new Command("shred", "Crypto-shred: destroy a data key (or one person's keys) so every value under it is unreadable for good; the act is audited")
        {
            keyId, subject, reason,
        };
        shred.Validators.Add(r =>
        {
            if ((r.GetValue(keyId) is null) == (r.GetValue(subject) is null))
            {
                r.AddError("give exactly one of --key-id or --subject");
            }
        });
        HubServices.AddTo(shred);
        shred.SetAction(async (parse, cancellationToken) =>
        {
            using var host = HubServices.Build(parse);
            var ring = host.Services.GetRequiredService<DataKeyRing>();
            var writer = host.Services.GetRequiredService<AuditWriter>();
            await writer.StartAsync(cancellationToken);
            if (parse.GetValue(subject) is { } person)
            {
                var keys = await host.Services.GetRequiredService<Data.Keys.SubjectShredding>().ShredAsync(person, parse.GetValue(reason)!, Environment.UserName, cancellationToken);
                await writer.StopAsync(cancellationToken);
                if (keys.Count == 0)
                {
                    await parse.InvocationConfiguration.Error.WriteLineAsync($"no live data keys for subject {person}");
                    return 2;
                }
                await parse.InvocationConfiguration.Output.WriteLineAsync(
                    $"destroyed {keys.Count} data key(s) of {person} and overwrote their blind indexes; their own fields are unreadable for good, everyone else's stay readable; audited");
                return 0;
            }
            var id = parse.GetValue(keyId)!;
            var destroyed = ring.Destroy(id);
            if (destroyed is null)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"no live data key '{id}'");
                return 2;
            }
            await writer.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, "cli-" + Guid.NewGuid().ToString("N")[..12], destroyed.Agency, Environment.UserName,
                null, null, "keys.shred", "success", "none", false, [], [destroyed.Agency],
                JsonSerializer.Serialize(new { keyId = id, dataClass = destroyed.DataClass, reason = parse.GetValue(reason) })), cancellationToken);
            await writer.StopAsync(cancellationToken);
            var told = await Data.Cluster.ClusterNotices.TellAsync(Contexts(host), cancellationToken, Data.Cluster.ClusterNotices.Keys);
            await parse.InvocationConfiguration.Output.WriteLineAsync($"destroyed {id}; its values are unreadable for good ({(told ? "running hubs on this PostgreSQL database stop serving them at once" : "a running hub stops serving them within a minute")}); audited");
            return 0;
        });
        var retire = new Option<string>("--key-id") { Description = "The data key to retire (see 'keys list')", Required = true };
        var progressFile = new Option<string?>("--progress") { Description = "Progress file, for resuming (default: data/reencrypt-<key>.json)" };
        var batch = new Option<int>("--batch") { Description = "Rows per transaction", DefaultValueFactory = _ => 500 };
        var reencrypt = new Command("reencrypt", "Retire a data key: re-encrypt every value under it with the current key (resumable; readers never fail meanwhile)")
        {
            retire, progressFile, batch,
        };
        HubServices.AddTo(reencrypt);
        reencrypt.SetAction(async (parse, cancellationToken) =>
        {
            using var host = HubServices.Build(parse);
            var id = parse.GetValue(retire)!;
            var file = parse.GetValue(progressFile) ?? Path.Combine("data", $"reencrypt-{id.Replace('/', '_')}.json");
            try
            {
                await host.Services.GetRequiredService<ReencryptionJob>().RunAsync(id, file, Math.Max(1, parse.GetValue(batch)),
                    line => parse.InvocationConfiguration.Output.WriteLine(line), cancellationToken);
            }
            catch (InvalidOperationException e)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync(e.Message);
                return 2;
            }
            await parse.InvocationConfiguration.Output.WriteLineAsync($"no value uses {id} now; 'keys shred --key-id {id}' destroys it for good");
            return 0;
        });
        return new Command("keys", "Key management: signing keys, data keys, key-encryption keys, re-encryption, crypto-shredding")
        {
            rotateSigning, list, rotateData, rotateKek, moveToVault, revoke, reencrypt, shred,
        };
    }

    /// <summary>The local key ring, or null (with the reason written) when the hub's key-encryption keys live in a key vault.</summary>
    // Running hubs on the same PostgreSQL database are told that data keys were destroyed or a key-encryption key revoked, so
    // each checks its cached keys at their next use; not on SQLite (one hub, which checks within a minute), nor when the
    // database cannot be told (the hubs' one-minute bound still holds).
    private static Data.Storage.IHubDbContextFactory Contexts(Microsoft.Extensions.Hosting.IHost host) => host.Services.GetRequiredService<Data.Storage.IHubDbContextFactory>();

    private static LocalKeyRing? LocalRing(Microsoft.Extensions.Hosting.IHost host, ParseResult parse, string verb)
    {
        if (host.Services.GetRequiredService<IKeyEncryptionKeyProviderWithIndexKey>() is LocalKeyRing local)
        {
            return local;
        }
        parse.InvocationConfiguration.Error.WriteLine($"this hub's key-encryption keys are held by a key vault: {verb} them there");
        return null;
    }
}
