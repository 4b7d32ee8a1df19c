using System.CommandLine;
using SharingHub.Crypto.Keys;
using SharingHub.Crypto.Signing;

namespace SharingHub.Cli.Commands;

internal static class KeyCommands
{
    public static Command Create()
    {
        var signingKeys = new Option<string>("--signing-keys") { Description = "The hub's signing key file (default: data/signing-keys.json)", DefaultValueFactory = _ => "data/signing-keys.json" };
        var keyRing = new Option<string>("--key-ring") { Description = "The local key ring (default: data/keyring.json)", DefaultValueFactory = _ => "data/keyring.json" };
        var rotate = new Command("rotate-signing", "Start signing tokens with a new key; the old key stays published until its tokens have expired") { signingKeys, keyRing };
        rotate.SetAction(parse =>
        {
            var keys = new HubSigningKeys(parse.GetValue(signingKeys)!, TimeSpan.FromSeconds(360), LocalKeyRing.OpenOrCreate(parse.GetValue(keyRing)!), TimeProvider.System);
            var kid = keys.Rotate();
            parse.InvocationConfiguration.Output.WriteLine($"new signing key {kid}; a running hub picks it up within a minute");
            return 0;
        });
        return new Command("keys", "Key management") { rotate };
    }
}
