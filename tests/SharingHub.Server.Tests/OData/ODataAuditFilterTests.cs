using Microsoft.OData.UriParser;
using SharingHub.Server.OData;

namespace SharingHub.Server.Tests.OData;

/// <summary>
/// Which <c>$filter</c>s on AuditEntries hold every entry to one actor, and so may read through the log's index by actor:
/// reading any other through it would lose entries by other actors that the filter lets through.
/// </summary>
public sealed class ODataAuditFilterTests
{
    private static readonly ODataModel Model = new();

    private static string? ActorOf(string filter)
    {
        var root = new Uri("https://hub.test/odata/");
        var parser = new ODataUriParser(Model.Model, root, new Uri(root, "AuditEntries?$filter=" + Uri.EscapeDataString(filter)));
        return ODataAuditReader.ActorNamed(parser.ParseFilter().Expression);
    }

    [Theory]
    [InlineData("actor eq 'k.patel'", "k.patel")]
    [InlineData("'k.patel' eq actor", "k.patel")]
    [InlineData("actor eq 'o''brien'", "o'brien")]
    [InlineData("agency eq 'police' and actor eq 'k.patel'", "k.patel")]
    [InlineData("(outcome eq 'permit' and (sequence gt 5 and actor eq 'k.patel')) and agency eq 'la'", "k.patel")]
    public void Given_a_filter_that_holds_one_actor_then_that_actor_is_named(string filter, string actor) =>
        Assert.Equal(actor, ActorOf(filter));

    [Theory]
    [InlineData("actor eq 'k.patel' or actor eq 'r.osei'")]
    [InlineData("agency eq 'la' or actor eq 'k.patel'")]
    [InlineData("not (actor eq 'k.patel')")]
    [InlineData("actor ne 'k.patel'")]
    [InlineData("startswith(actor,'k.')")]
    [InlineData("tolower(actor) eq 'k.patel'")]
    [InlineData("actor eq null")]
    [InlineData("agency eq 'k.patel'")]
    [InlineData("actor gt 'k'")]
    public void Given_a_filter_that_may_hold_several_actors_then_none_is_named(string filter) =>
        Assert.Null(ActorOf(filter));
}
