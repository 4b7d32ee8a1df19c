using FsCheck;
using FsCheck.Fluent;
using SharingHub.Core.People;
using SharingHub.Core.Records;

namespace SharingHub.Core.Tests.People;

public sealed class AgencyIdentifiersTests
{
    [Theory]
    [InlineData("9434765919")]
    [InlineData("943 476 5919")]
    [InlineData("401 023 2137")]
    public void Given_a_published_valid_nhs_number_when_checked_then_it_is_valid(string value) =>
        Assert.True(AgencyIdentifiers.IsValid(IdentifierKind.NhsNumber, value));

    [Theory]
    [InlineData("9434765918")]
    [InlineData("943476591")]
    [InlineData("94347659190")]
    [InlineData("94347A5919")]
    public void Given_a_wrong_check_digit_or_length_when_checked_then_the_nhs_number_is_refused(string value) =>
        Assert.False(AgencyIdentifiers.IsValid(IdentifierKind.NhsNumber, value));

    [Fact]
    public void Given_any_nine_digits_when_one_digit_of_a_valid_number_changes_then_the_check_digit_catches_it()
    {
        Prop.ForAll(Gen.Choose(0, 999_999_999).ToArbitrary(), Gen.Choose(0, 8).ToArbitrary(), Gen.Choose(1, 9).ToArbitrary(), (body, position, delta) =>
        {
            var nine = body.ToString("D9", System.Globalization.CultureInfo.InvariantCulture);
            var check = AgencyIdentifiers.NhsCheckDigit(nine);
            if (check < 0)
            {
                return true;
            }
            var chars = (nine + check).ToCharArray();
            chars[position] = (char)('0' + ((chars[position] - '0' + delta) % 10));
            return !AgencyIdentifiers.IsValidNhsNumber(new string(chars));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Given_a_upn_built_with_its_check_letter_when_checked_then_it_is_valid_and_a_changed_digit_is_not()
    {
        var body = "801200012345";
        var upn = AgencyIdentifiers.UpnCheckLetter(body) + body;
        Assert.True(AgencyIdentifiers.IsValid(IdentifierKind.Upn, upn));
        Assert.False(AgencyIdentifiers.IsValid(IdentifierKind.Upn, upn[..^1] + (upn[^1] == '9' ? '8' : '9')));
    }

    [Fact]
    public void Given_a_pnc_id_with_a_short_serial_when_normalised_then_it_is_padded_and_still_valid()
    {
        var check = AgencyIdentifiers.PncCheckLetter("98", "0012345");
        Assert.True(AgencyIdentifiers.IsValid(IdentifierKind.PncId, $"1998/0012345{check}"));
        Assert.True(AgencyIdentifiers.IsValid(IdentifierKind.PncId, $"1998/12345{check}"));
        Assert.False(AgencyIdentifiers.IsValid(IdentifierKind.PncId, $"1998/0012346{check}"));
    }

    [Theory]
    [InlineData(IdentifierKind.Crn, "X123456", true)]
    [InlineData(IdentifierKind.Crn, "1234567", false)]
    [InlineData(IdentifierKind.LaPersonId, "4471230", true)]
    [InlineData(IdentifierKind.LaPersonId, "44 712'30", false)]
    public void Given_other_identifier_shapes_when_checked_then_only_well_formed_ones_pass(IdentifierKind kind, string value, bool valid) =>
        Assert.Equal(valid, AgencyIdentifiers.IsValid(kind, value));

    [Theory]
    [InlineData("12 High Street, Leeds LS1 4AP", "LS14AP")]
    [InlineData("sw1a 1aa", "SW1A1AA")]
    [InlineData("Flat 2, 3 Mill Lane, Exeter, EX4 6TD", "EX46TD")]
    [InlineData("M1 1AE", "M11AE")]
    [InlineData("12 High Street, Leeds", null)]
    [InlineData("", null)]
    public void Given_an_address_then_its_postcode_index_form_is_found_or_none(string text, string? expected) =>
        Assert.Equal(expected, AgencyIdentifiers.PostcodeIndexForm(text));
}
