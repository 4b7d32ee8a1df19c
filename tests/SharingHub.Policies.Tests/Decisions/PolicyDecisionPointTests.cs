using SharingHub.Core.Records;
using SharingHub.Policies.Decisions;
using SharingHub.Policies.Testing;

namespace SharingHub.Policies.Tests.Decisions;

public sealed class PolicyDecisionPointTests
{
    private readonly PolicyDecisionPoint _pdp = ShippedPolicies.DecisionPoint();

    private Decision Decide(RequestBuilder request, DateTimeOffset? at = null) => _pdp.Decide(request.Build(), at ?? RequestBuilder.Now);

    [Fact]
    public void Given_the_shipped_decision_tests_when_run_then_every_one_passes()
    {
        var results = PolicyTestRunner.Run(_pdp, Path.Combine(ShippedPolicies.Folder, "tests"));
        Assert.True(results.Count >= 60, $"only {results.Count} decision tests");
        Assert.All(results, r => Assert.True(r.Passed, $"{r.Name} ({r.Location}): {r.Failure}"));
    }

    [Fact]
    public void Given_the_shipped_decision_tests_then_every_purpose_and_every_agency_pair_is_covered()
    {
        var cases = PolicyTestCase.LoadAll(Path.Combine(ShippedPolicies.Folder, "tests"), ShippedPolicies.Policy);
        Assert.Superset(ShippedPolicies.Policy.Purposes.Keys.ToHashSet(), cases.Select(c => c.Purpose).ToHashSet());
        var agencies = ShippedPolicies.Policy.Agencies.Keys.ToList();
        var pairs = cases.Select(c => (c.Requester.Agency, c.Record.OwningAgency)).ToHashSet();
        Assert.All(agencies.SelectMany(a => agencies.Select(b => (a, b))), pair => Assert.Contains(pair, pairs));
    }

    [Fact]
    public void Given_a_permit_then_it_names_the_lawful_basis_of_the_requesters_regime()
    {
        var police = Decide(new RequestBuilder { Agency = "police" });
        var health = Decide(new RequestBuilder { Agency = "education", User = "dsl-1", Owner = "health" });
        Assert.StartsWith("DPA 2018 Part 3", police.LawfulBasis, StringComparison.Ordinal);
        Assert.StartsWith("UK GDPR", health.LawfulBasis, StringComparison.Ordinal);
        Assert.Equal("consent not sought: seeking it would place the child at risk of significant harm", police.ConsentBasis);
    }

    [Fact]
    public void Given_a_member_removed_from_the_enquiry_when_they_ask_after_removal_then_access_is_gone()
    {
        var removedAt = RequestBuilder.Now.AddHours(-1);
        Assert.True(Decide(new RequestBuilder { MemberRemovedAt = removedAt }, removedAt.AddMinutes(-1)).IsPermit);
        var after = Decide(new RequestBuilder { MemberRemovedAt = removedAt });
        Assert.False(after.IsPermit);
        Assert.Contains(after.Reasons, r => r.Contains("not a current member", StringComparison.Ordinal));
    }

    [Fact]
    public void Given_a_question_without_expect_beside_a_broken_yaml_file_when_explained_then_only_the_question_is_read()
    {
        var folder = Directory.CreateTempSubdirectory("sharinghub-explain-");
        try
        {
            File.WriteAllText(Path.Combine(folder.FullName, "broken.yaml"), "tests: [ this is not: valid");
            var question = Path.Combine(folder.FullName, "question.yaml");
            File.WriteAllText(question, """
                tests:
                  - name: May the police member read a health clinical event?
                    requester: { agency: police, roles: [macpt-member] }
                    purpose: s47-enquiry
                    enquiry: { open: true, member: true, about-subject: true }
                    record: { type: event, owner: health, data-class: health.clinical, fields: [occurredAt, summary] }
                """);

            var cases = PolicyTestCase.LoadQuestions(question, ShippedPolicies.Policy);

            var only = Assert.Single(cases);
            Assert.True(_pdp.Decide(only.ToRequest(), PolicyTestRunner.Now).IsPermit);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Given_a_partner_system_whose_client_id_equals_a_members_user_id_then_it_is_not_the_member()
    {
        Assert.True(Decide(new RequestBuilder()).IsPermit);
        var system = Decide(new RequestBuilder { ClientId = "officer-1", Roles = ["system", "macpt-member"] });
        Assert.False(system.IsPermit);
        Assert.Contains(system.Reasons, r => r.Contains("not a current member", StringComparison.Ordinal));
    }

    [Fact]
    public void Given_an_enquiry_in_its_grace_period_after_closure_then_access_lasts_until_the_period_ends()
    {
        var ends = RequestBuilder.Now.AddDays(2);
        Assert.True(Decide(new RequestBuilder { EnquiryAccessEndsAt = ends }).IsPermit);
        Assert.False(Decide(new RequestBuilder { EnquiryAccessEndsAt = ends }, ends).IsPermit);
    }

    [Fact]
    public void Given_consent_withdrawn_at_a_moment_then_sharing_stops_at_that_moment()
    {
        var withdrawn = RequestBuilder.Now.AddMinutes(-5);
        var request = new RequestBuilder
        {
            Agency = "la", User = "fhlp-1", Roles = ["fhlp"], Purpose = "family-help", Owner = "education", DataClass = "education.attendance",
            Enquiry = EnquiryState.None,
            Consents = [RequestBuilder.ConsentFor("la", "family-help", "education.attendance", withdrawnAt: withdrawn)],
        };
        Assert.True(Decide(request, withdrawn.AddSeconds(-1)).IsPermit);
        Assert.False(Decide(request, withdrawn).IsPermit);
    }

    [Fact]
    public void Given_a_consent_for_another_purpose_or_agency_then_it_does_not_count()
    {
        var request = new RequestBuilder
        {
            Agency = "la", User = "fhlp-1", Roles = ["fhlp"], Purpose = "family-help", Owner = "education", DataClass = "education.attendance",
            Enquiry = EnquiryState.None,
        };
        Assert.False(Decide(request with { Consents = [RequestBuilder.ConsentFor("health", "family-help", "education.attendance")] }).IsPermit);
        Assert.False(Decide(request with { Consents = [RequestBuilder.ConsentFor("la", "fgdm", "education.attendance")] }).IsPermit);
        Assert.False(Decide(request with { Consents = [RequestBuilder.ConsentFor("la", "family-help", "health.clinical")] }).IsPermit);
        Assert.True(Decide(request with { Consents = [RequestBuilder.ConsentFor("la", "family-help", "education.attendance")] }).IsPermit);
    }

    [Fact]
    public void Given_both_a_consent_and_a_refusal_in_force_then_the_refusal_wins()
    {
        var request = new RequestBuilder
        {
            Agency = "la", User = "fhlp-1", Roles = ["fhlp"], Purpose = "family-help", Owner = "education", DataClass = "education.attendance",
            Enquiry = EnquiryState.None,
            Consents =
            [
                RequestBuilder.ConsentFor("la", "family-help", "education.attendance"),
                RequestBuilder.ConsentFor("la", "family-help", "education.attendance", ConsentDecision.Deny),
            ],
        };
        var decision = Decide(request);
        Assert.False(decision.IsPermit);
        Assert.Contains(decision.Reasons, r => r.Contains("was refused", StringComparison.Ordinal));
    }

    [Fact]
    public void Given_a_deny_rule_that_matches_then_it_beats_every_permit_and_is_named()
    {
        var request = new RequestBuilder
        {
            Agency = "la", User = "fhlp-1", Roles = ["fhlp", "lcpp"], Purpose = "family-help", Owner = "police", DataClass = "police.intelligence",
            Enquiry = EnquiryState.None, Consents = [RequestBuilder.ConsentFor("la", "family-help", "police.intelligence")],
        };
        var decision = Decide(request);
        Assert.False(decision.IsPermit);
        Assert.Equal(["deny.police-intelligence-outside-enquiries"], decision.RuleIds);
    }

    [Fact]
    public void Given_a_record_with_a_protected_field_then_the_field_is_withheld_and_the_rest_shared()
    {
        var decision = Decide(new RequestBuilder
        {
            Agency = "la", User = "lcpp-1", Roles = ["lcpp"], Purpose = "front-door-triage", Owner = "police", DataClass = "referral", Enquiry = EnquiryState.None,
            ResourceType = "referral",
            Fields = [new("concern"), new("receivedAt"), new("referrerIdentity", "referral.referrer-identity")],
        });
        Assert.True(decision.IsPermit);
        Assert.Equal(["concern", "receivedAt"], decision.Fields.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Given_a_broad_rule_over_any_data_class_then_protected_details_still_do_not_leave_their_agency()
    {
        var folder = ShippedPolicies.Copy();
        try
        {
            File.AppendAllText(Path.Combine(folder, "rules", "health.yaml"), """

              - id: broad.everything-to-macpt
                description: An over-broad clause, as a careless edit might add.
                effect: permit
                requesters:
                  agencies: [health]
                  roles: [macpt-member]
                purposes: [s47-enquiry]
                data-classes: any
                sources: any
                fields: all
            """);
            var pdp = new PolicyDecisionPoint(SharingHub.Policies.Loading.PolicyLoader.Load(folder, SharingHub.Policies.Model.RecordFields.All));
            var request = new RequestBuilder { Agency = "health", User = "nurse-1", Owner = "police", DataClass = "police.intelligence" };
            var decision = pdp.Decide(request.Build(), RequestBuilder.Now);
            Assert.False(decision.IsPermit);
            Assert.Contains(decision.Reasons, r => r.Contains("protected detail", StringComparison.Ordinal));
            Assert.True(pdp.Decide((request with { DataClass = "police.incident" }).Build(), RequestBuilder.Now).IsPermit);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(folder)!, recursive: true);
        }
    }

    [Fact]
    public void Given_an_unknown_data_class_then_the_record_is_refused_by_default()
    {
        var decision = Decide(new RequestBuilder { DataClass = "health.genomics" });
        Assert.False(decision.IsPermit);
        Assert.Contains(decision.Reasons, r => r.Contains("not a data class", StringComparison.Ordinal));
    }

    [Fact]
    public void Given_a_principal_then_the_purposes_offered_are_those_some_rule_lets_them_use()
    {
        var ig = _pdp.PurposesFor(new Principal("health", "ig-1", new HashSet<string> { "ig-officer" }));
        Assert.Equal(["audit-review"], ig.Select(p => p.Code));
        var admin = _pdp.PurposesFor(new Principal("la", "admin-1", new HashSet<string> { "admin" }));
        Assert.Empty(admin);
        var lcpp = _pdp.PurposesFor(new Principal("la", "lcpp-1", new HashSet<string> { "lcpp" })).Select(p => p.Code).ToList();
        Assert.Contains("s47-enquiry", lcpp);
        Assert.DoesNotContain("audit-review", lcpp);
    }

    [Theory]
    [InlineData("open, about the child", true, true, true)]
    [InlineData("none named", false, true, false)]
    [InlineData("about someone else", true, false, false)]
    [InlineData("decided, past its grace period", true, true, false, true)]
    public void Given_the_front_door_triaging_then_it_reads_the_referrals_people_only_while_the_referral_is_open(string _, bool named, bool aboutChild,
        bool permitted, bool closed = false)
    {
        var referral = !named ? null : closed
            ? RequestBuilder.OpenReferral(aboutChild) with { AccessEndsAt = RequestBuilder.Now.AddMinutes(-1) }
            : RequestBuilder.OpenReferral(aboutChild);
        // The council front door's own records as much as police's: the case binds before any rule, for every owner.
        foreach (var (owner, dataClass) in new[] { ("police", "police.incident"), ("la", "la.social-care") })
        {
            var decision = Decide(new RequestBuilder
            {
                Agency = "la", User = "triage-1", Roles = ["front-door"], Purpose = "front-door-triage", Owner = owner, DataClass = dataClass,
                Enquiry = EnquiryState.None, Fields = [new("occurredAt"), new("summary")], Referral = referral,
            });
            Assert.True(decision.IsPermit == permitted, $"{owner}: {string.Join("; ", decision.Reasons)}");
        }
    }

    [Fact]
    public void Given_the_front_door_worklist_then_referrals_themselves_need_no_referral_named()
    {
        var decision = Decide(new RequestBuilder
        {
            Agency = "la", User = "triage-1", Roles = ["front-door"], Purpose = "front-door-triage", Owner = "police", DataClass = "referral",
            ResourceType = "referral", Enquiry = EnquiryState.None, Fields = [new("concern"), new("receivedAt")],
        });

        Assert.True(decision.IsPermit, string.Join("; ", decision.Reasons));
    }

    [Theory]
    [InlineData(EnquiryState.OpenMember, true)]
    [InlineData(EnquiryState.OpenNotMember, false)]
    [InlineData(EnquiryState.Closed, false)]
    public void Given_council_staff_reading_their_own_councils_record_under_an_enquiry_then_only_a_current_member_of_the_open_enquiry_may(EnquiryState state, bool permitted)
    {
        var decision = Decide(new RequestBuilder
        {
            Agency = "la", User = "fhlp-1", Roles = ["fhlp", "lcpp"], Purpose = "s47-enquiry", Owner = "la", DataClass = "la.social-care", Enquiry = state,
            Fields = [new("occurredAt"), new("summary")],
        });

        Assert.True(decision.IsPermit == permitted, string.Join("; ", decision.Reasons));
    }
}
