using System.CommandLine;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SharingHub.Policies.Loading;
using SharingHub.Policies.Model;
using SharingHub.Policies.Trust;

namespace SharingHub.Cli.Commands;

/// <summary>Partner system registration, and the partner's side of getting a token (for development and checks).</summary>
internal static class ClientCommands
{
    private static readonly Option<string> Registry = new("--registry")
    {
        Description = "The trust registry file for local registrations (default: data/trust-registry.yaml, which the hub reads)",
        DefaultValueFactory = _ => "data/trust-registry.yaml",
    };

    private static readonly Option<string> Hub = new("--hub")
    {
        Description = "The hub's public base URL (default: http://127.0.0.1:5080)",
        DefaultValueFactory = _ => "http://127.0.0.1:5080",
    };

    public static Command Create()
    {
        var clientId = new Option<string>("--client-id") { Description = "The client id (letters, digits, dashes)", Required = true };
        var agency = new Option<string>("--agency") { Description = "The agency the system acts for", Required = true };
        var name = new Option<string>("--name") { Description = "A name people recognise, e.g. 'Mosaic (council case system)'", Required = true };
        var scopes = new Option<string>("--scopes") { Description = "SMART v2 system scopes, space-separated (e.g. 'system/*.rs')", Required = true };
        var jwksFile = new Option<string?>("--jwks-file") { Description = "The partner's public JWKS (JSON file)" };
        var jwksUri = new Option<string?>("--jwks-uri") { Description = "Where the partner publishes its public JWKS (https)" };
        var keyOut = new Option<string?>("--generate-key") { Description = "Development: generate an ES384 key pair and write the private key (PEM, mode 600) to this file" };
        var role = new Option<string>("--role")
        {
            Description = "system (a case system acting for its agency), or mais-asker (a neighbouring hub that only asks the MAIS person-info-query)",
            DefaultValueFactory = _ => RegisteredClient.SystemRole,
        };
        var organisation = new Option<string?>("--organisation") { Description = "The organisation it keeps records for (organisations.yaml; default: the agency's default)" };
        var register = new Command("register", "Register a partner system in the trust registry and print what the partner needs")
        {
            clientId, agency, name, scopes, jwksFile, jwksUri, keyOut, role, organisation, Registry, Hub, PolicyOption,
        };
        register.Validators.Add(r =>
        {
            var ways = new[] { r.GetValue(jwksFile), r.GetValue(jwksUri), r.GetValue(keyOut) }.Count(v => v is not null);
            if (ways != 1)
            {
                r.AddError("give exactly one of --jwks-file, --jwks-uri or --generate-key");
            }
        });
        register.SetAction(parse => Register(parse, parse.GetValue(clientId)!, parse.GetValue(agency)!, parse.GetValue(name)!, parse.GetValue(scopes)!,
            parse.GetValue(jwksFile), parse.GetValue(jwksUri), parse.GetValue(keyOut), parse.GetValue(role)!, parse.GetValue(organisation)));

        var tokenClientId = new Option<string>("--client-id") { Description = "The registered client id", Required = true };
        var keyFile = new Option<string>("--key") { Description = "The client's private key (PEM)", Required = true };
        var scope = new Option<string>("--scope") { Description = "Scopes to ask for", DefaultValueFactory = _ => "system/*.rs" };
        var token = new Command("token", "Get an access token as a partner system would: sign a client assertion and call the token endpoint")
        {
            tokenClientId, keyFile, scope, Hub,
        };
        token.SetAction(async (parse, cancellationToken) =>
            await TokenAsync(parse, parse.GetValue(tokenClientId)!, parse.GetValue(keyFile)!, parse.GetValue(scope)!, cancellationToken));
        return new Command("client", "Partner systems: register, and get a token") { register, token };
    }

    /// <summary>Development only: a token for a demo user from the hub's development identity provider.</summary>
    public static Command CreateDevUserToken()
    {
        var user = new Option<string>("--user") { Description = "A demo user, e.g. demo-la-lcpp (list: GET /dev-idp/users)", Required = true };
        var command = new Command("dev-user", "Development: get an access token for a demo user from the hub's development identity provider") { user, Hub };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var http = new HttpClient();
            using var response = await http.PostAsync(new Uri(parse.GetValue(Hub)!.TrimEnd('/') + "/dev-idp/token"),
                new FormUrlEncodedContent(new Dictionary<string, string> { ["username"] = parse.GetValue(user)! }), cancellationToken);
            if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("the hub has no development identity provider (it runs only in Development)");
                return 1;
            }
            var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"refused: {body}");
                return 1;
            }
            await parse.InvocationConfiguration.Output.WriteLineAsync(body.GetProperty("access_token").GetString());
            return 0;
        });
        return new Command("token", "Development tokens") { command };
    }

    private static readonly Option<string> PolicyOption = new("--policies") { Description = "The policy folder (default: policies)", DefaultValueFactory = _ => "policies" };

    private static int Register(ParseResult parse, string clientId, string agency, string name, string scopes, string? jwksFile, string? jwksUri, string? keyOut,
        string role, string? organisation)
    {
        var error = parse.InvocationConfiguration.Error;
        var output = parse.InvocationConfiguration.Output;
        var registryPath = parse.GetValue(Registry)!;
        PolicySet policy;
        try
        {
            policy = PolicyLoader.Load(parse.GetValue(PolicyOption)!, RecordFields.All);
        }
        catch (PolicyLoadException e)
        {
            error.WriteLine(e.Message);
            return 2;
        }
        if (!clientId.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') || clientId.Length is 0 or > 64)
        {
            error.WriteLine("--client-id must be 1 to 64 letters, digits or dashes");
            return 2;
        }
        var existing = File.Exists(registryPath) ? TrustRegistryLoader.Load([registryPath], policy) : TrustRegistry.Empty;
        if (existing.FindClient(clientId) is not null)
        {
            error.WriteLine($"client '{clientId}' is already registered in {registryPath}");
            return 2;
        }
        string? jwks = null;
        var kid = $"{clientId}-1";
        if (keyOut is not null)
        {
            using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            WritePrivate(keyOut, ecdsa.ExportPkcs8PrivateKeyPem());
            var q = ecdsa.ExportParameters(false).Q;
            jwks = JsonSerializer.Serialize(new { keys = new[] { new { kty = "EC", crv = "P-384", x = Base64UrlEncoder.Encode(q.X), y = Base64UrlEncoder.Encode(q.Y), kid, use = "sig", alg = "ES384" } } });
        }
        else if (jwksFile is not null)
        {
            jwks = File.ReadAllText(jwksFile).ReplaceLineEndings("").Trim();
        }
        var client = new RegisteredClient(clientId, agency, name, jwks, jwksUri is null ? null : new Uri(jwksUri),
            scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal)) { Role = role, Organisation = organisation };
        var updated = existing with { Clients = [.. existing.Clients, client] };
        var temp = registryPath + ".new";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(registryPath))!);
        File.WriteAllText(temp, TrustRegistryWriter.Write(updated));
        try
        {
            // Check the whole file as the hub will read it, before it replaces the old one.
            TrustRegistryLoader.Load([temp], policy);
        }
        catch (PolicyLoadException e)
        {
            File.Delete(temp);
            error.WriteLine(e.Message);
            return 2;
        }
        File.Move(temp, registryPath, overwrite: true);
        var hub = parse.GetValue(Hub)!.TrimEnd('/');
        output.WriteLine($"registered client '{clientId}' for agency '{agency}' in {registryPath} (restart the hub to load it)");
        output.WriteLine($"  token endpoint:         {hub}/token");
        output.WriteLine($"  grant:                  client_credentials with private_key_jwt (SMART Backend Services)");
        output.WriteLine($"  assertion algorithm:    ES384 or RS384; iss = sub = {clientId}; aud = {hub}/token; exp at most 5 minutes ahead; a fresh jti each time");
        output.WriteLine($"  scopes:                 {string.Join(' ', client.Scopes)}");
        output.WriteLine($"  role:                   {client.Role}{(client.Role == RegisteredClient.SystemRole ? "" : " (asks the MAIS person-info-query; reads and writes no record)")}");
        if (keyOut is not null)
        {
            output.WriteLine($"  private key (kid {kid}): {keyOut} (keep it secret; the hub holds only the public key)");
        }
        return 0;
    }

    private static async Task<int> TokenAsync(ParseResult parse, string clientId, string keyFile, string scope, CancellationToken cancellationToken)
    {
        var hub = parse.GetValue(Hub)!.TrimEnd('/');
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(File.ReadAllText(keyFile));
        var now = DateTime.UtcNow;
        var assertion = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = clientId,
            Audience = hub + "/token",
            Expires = now.AddMinutes(4),
            IssuedAt = now,
            NotBefore = now,
            Claims = new Dictionary<string, object> { ["sub"] = clientId, ["jti"] = Guid.NewGuid().ToString("N") },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(ecdsa) { KeyId = $"{clientId}-1" }, SecurityAlgorithms.EcdsaSha384),
        });
        using var http = new HttpClient();
        using var response = await http.PostAsync(new Uri(hub + "/token"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ["client_assertion"] = assertion,
            ["scope"] = scope,
        }), cancellationToken);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync($"token request refused ({(int)response.StatusCode}): {body}");
            return 1;
        }
        await parse.InvocationConfiguration.Output.WriteLineAsync(body.GetProperty("access_token").GetString());
        return 0;
    }

    private static void WritePrivate(string path, string pem)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using var stream = new FileStream(path, options);
        stream.Write(Encoding.ASCII.GetBytes(pem));
    }
}
