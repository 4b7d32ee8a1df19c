using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SharingHub.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RecordOrganisations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Notifications_Agency",
                table: "Notifications");

            migrationBuilder.DropIndex(
                name: "IX_Households_OwningAgency_Reference",
                table: "Households");

            migrationBuilder.DropIndex(
                name: "IX_Events_OwningAgency_SourceReference",
                table: "Events");

            migrationBuilder.AddColumn<string>(
                name: "OwningOrganisation",
                table: "StrategyMeetings",
                type: "TEXT",
                maxLength: 64,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "OwningOrganisation",
                table: "States",
                type: "TEXT",
                maxLength: 64,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "OwningOrganisation",
                table: "Relationships",
                type: "TEXT",
                maxLength: 64,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "OwningOrganisation",
                table: "Referrals",
                type: "TEXT",
                maxLength: 64,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "OwningOrganisation",
                table: "People",
                type: "TEXT",
                maxLength: 64,
                nullable: false,
                defaultValue: "");

            // A notification was addressed to an agency; it is addressed to an organisation, and a sector's default
            // organisation carries the sector's code, so each stays addressed where it was.
            migrationBuilder.RenameColumn(
                name: "Agency",
                table: "Notifications",
                newName: "Organisation");

            migrationBuilder.AddColumn<string>(
                name: "OwningOrganisation",
                table: "Involvements",
                type: "TEXT",
                maxLength: 64,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "OwningOrganisation",
                table: "InformationResponses",
                type: "TEXT",
                maxLength: 64,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "OwningOrganisation",
                table: "InformationRequests",
                type: "TEXT",
                maxLength: 64,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "OwningOrganisation",
                table: "Households",
                type: "TEXT",
                maxLength: 64,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "OwningOrganisation",
                table: "Events",
                type: "TEXT",
                maxLength: 64,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "OwningOrganisation",
                table: "Enquiries",
                type: "TEXT",
                maxLength: 64,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "OwningOrganisation",
                table: "Consents",
                type: "TEXT",
                maxLength: 64,
                nullable: false,
                defaultValue: "");

            // Records kept before organisations were belong to their sector's default organisation, which carries the sector's code.
            migrationBuilder.Sql("UPDATE \"StrategyMeetings\" SET \"OwningOrganisation\" = \"OwningAgency\"");
            migrationBuilder.Sql("UPDATE \"States\" SET \"OwningOrganisation\" = \"OwningAgency\"");
            migrationBuilder.Sql("UPDATE \"Relationships\" SET \"OwningOrganisation\" = \"OwningAgency\"");
            migrationBuilder.Sql("UPDATE \"Referrals\" SET \"OwningOrganisation\" = \"OwningAgency\"");
            migrationBuilder.Sql("UPDATE \"People\" SET \"OwningOrganisation\" = \"OwningAgency\"");
            migrationBuilder.Sql("UPDATE \"Involvements\" SET \"OwningOrganisation\" = \"OwningAgency\"");
            migrationBuilder.Sql("UPDATE \"InformationResponses\" SET \"OwningOrganisation\" = \"OwningAgency\"");
            migrationBuilder.Sql("UPDATE \"InformationRequests\" SET \"OwningOrganisation\" = \"OwningAgency\"");
            migrationBuilder.Sql("UPDATE \"Households\" SET \"OwningOrganisation\" = \"OwningAgency\"");
            migrationBuilder.Sql("UPDATE \"Events\" SET \"OwningOrganisation\" = \"OwningAgency\"");
            migrationBuilder.Sql("UPDATE \"Enquiries\" SET \"OwningOrganisation\" = \"OwningAgency\"");
            migrationBuilder.Sql("UPDATE \"Consents\" SET \"OwningOrganisation\" = \"OwningAgency\"");

            migrationBuilder.CreateIndex(
                name: "IX_Notifications_Organisation",
                table: "Notifications",
                column: "Organisation");

            migrationBuilder.CreateIndex(
                name: "IX_Households_OwningOrganisation_Reference",
                table: "Households",
                columns: new[] { "OwningOrganisation", "Reference" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Events_OwningOrganisation_SourceReference",
                table: "Events",
                columns: new[] { "OwningOrganisation", "SourceReference" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Notifications_Organisation",
                table: "Notifications");

            migrationBuilder.DropIndex(
                name: "IX_Households_OwningOrganisation_Reference",
                table: "Households");

            migrationBuilder.DropIndex(
                name: "IX_Events_OwningOrganisation_SourceReference",
                table: "Events");

            migrationBuilder.DropColumn(
                name: "OwningOrganisation",
                table: "StrategyMeetings");

            migrationBuilder.DropColumn(
                name: "OwningOrganisation",
                table: "States");

            migrationBuilder.DropColumn(
                name: "OwningOrganisation",
                table: "Relationships");

            migrationBuilder.DropColumn(
                name: "OwningOrganisation",
                table: "Referrals");

            migrationBuilder.DropColumn(
                name: "OwningOrganisation",
                table: "People");

            migrationBuilder.DropColumn(
                name: "OwningOrganisation",
                table: "Involvements");

            migrationBuilder.DropColumn(
                name: "OwningOrganisation",
                table: "InformationResponses");

            migrationBuilder.DropColumn(
                name: "OwningOrganisation",
                table: "InformationRequests");

            migrationBuilder.DropColumn(
                name: "OwningOrganisation",
                table: "Households");

            migrationBuilder.DropColumn(
                name: "OwningOrganisation",
                table: "Events");

            migrationBuilder.DropColumn(
                name: "OwningOrganisation",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "OwningOrganisation",
                table: "Consents");

            migrationBuilder.RenameColumn(
                name: "Organisation",
                table: "Notifications",
                newName: "Agency");

            migrationBuilder.CreateIndex(
                name: "IX_Notifications_Agency",
                table: "Notifications",
                column: "Agency");

            migrationBuilder.CreateIndex(
                name: "IX_Households_OwningAgency_Reference",
                table: "Households",
                columns: new[] { "OwningAgency", "Reference" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Events_OwningAgency_SourceReference",
                table: "Events",
                columns: new[] { "OwningAgency", "SourceReference" },
                unique: true);
        }
    }
}
