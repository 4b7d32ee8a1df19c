using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;

namespace SharingHub.Server.Hosting;

/// <summary>An endpoint that reads shared records names a purpose of use (and, for an enquiry purpose, the enquiry) in headers.</summary>
internal sealed class NamesPurposeOfUse;

/// <summary>
/// The OpenAPI 3.1 document of every endpoint outside FHIR and OData (those describe themselves: /fhir/metadata,
/// /odata/$metadata): the section 47 workflow, the IG audit, identity, notifications and MAIS brokering, served
/// at /openapi/hub.json. Requests and answers are described from the handlers' own types. Left out: the development
/// identity provider (never in Production), the sign-in pages (HTML for people) and the benchmark baselines.
/// </summary>
internal static class ApiDocument
{
    public const string Name = "hub";
    public const string Path = "/openapi/{documentName}.json";
    private static readonly string[] Documented = ["enquiries", "strategy-discussions", "oversight", "macpt", "information-requests", "audit", "me", "notifications", "mais", "token", ".well-known", "jwks"];

    public static IServiceCollection AddHubApiDocument(this IServiceCollection services) =>
        services.AddOpenApi(Name, options =>
        {
            options.ShouldInclude = description => description.RelativePath is { } path && Documented.Contains(path.Split('/')[0], StringComparer.Ordinal);
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "SharingHub: workflow, audit and identity",
                    Version = "1",
                    Description = "The section 47 enquiry and its information requests, strategy meetings and FGDM; the IG audit trail; "
                        + "identity and the SMART token service; partner notifications; MAIS brokered queries. Shared records themselves are "
                        + "read and written over FHIR R4 (/fhir/metadata) and OData v4 (/odata/$metadata). Errors are problem+json "
                        + "(RFC 9457), except the token service's (RFC 6749) and 401s (RFC 6750 WWW-Authenticate).",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "JWT",
                    Description = "An access token from an agency's identity provider (people) or the hub's token service (partner systems).",
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                if (metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any())
                {
                    operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", context.Document)] = [] }];
                    operation.Responses ??= [];
                    operation.Responses["401"] = new OpenApiResponse
                    {
                        Description = "No valid bearer token: WWW-Authenticate names the error and which check failed (RFC 6750)",
                    };
                }
                if (metadata.OfType<NamesPurposeOfUse>().Any() || metadata.OfType<Access.OpensRecordsAttribute>().Any())
                {
                    operation.Parameters ??= [];
                    operation.Parameters.Add(new OpenApiParameter
                    {
                        Name = Audit.PurposeOfUse.PurposeHeader, In = ParameterLocation.Header, Required = true,
                        Description = "The purpose of use (see /me for those you may use); a missing or unknown one is a 400 naming them.",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                    });
                    operation.Parameters.Add(new OpenApiParameter
                    {
                        Name = Audit.PurposeOfUse.EnquiryHeader, In = ParameterLocation.Header,
                        Description = "The enquiry, required with an enquiry purpose (s47-enquiry, strategy-meeting).",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" },
                    });
                    operation.Parameters.Add(new OpenApiParameter
                    {
                        Name = Audit.PurposeOfUse.ReferralHeader, In = ParameterLocation.Header,
                        Description = "The contact or referral, required with a referral purpose (front-door-triage): only its people and household are read.",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" },
                    });
                }
                return Task.CompletedTask;
            });
        });

    public static WebApplication MapHubApiDocument(this WebApplication app)
    {
        app.MapOpenApi(Path).AllowAnonymous();
        return app;
    }

    /// <summary>Marks an endpoint as one that names a purpose of use in headers.</summary>
    public static TBuilder NamesPurpose<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new NamesPurposeOfUse());
}

/// <summary>The error body of the token service (RFC 6749 section 5.2) and of the audit API.</summary>
internal sealed record OAuthError(
    [property: System.Text.Json.Serialization.JsonPropertyName("error")] string Error,
    [property: System.Text.Json.Serialization.JsonPropertyName("error_description")] string? ErrorDescription);

internal static class ApiDocumentation
{
    /// <summary>What an endpoint answers on success (a named shape) and the problem+json statuses it may refuse with.</summary>
    public static RouteHandlerBuilder Answers<T>(this RouteHandlerBuilder builder, int status, string summary, params int[] problems)
    {
        builder.Produces<T>(status).WithSummary(summary);
        foreach (var problem in problems)
        {
            // A 422 lists every error keyed by field (RFC 9457 validation problem); other refusals are plain problems.
            _ = problem == StatusCodes.Status422UnprocessableEntity ? builder.ProducesValidationProblem(problem) : builder.ProducesProblem(problem);
        }
        return builder;
    }
}
