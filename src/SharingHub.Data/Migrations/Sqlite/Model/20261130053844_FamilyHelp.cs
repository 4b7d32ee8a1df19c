using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SharingHub.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class FamilyHelp : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "NotSoughtReason",
                table: "Consents",
                type: "BLOB",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "FamilyHelpPlans",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    PersonId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Status = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    EndedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    AssessedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Needs = table.Column<byte[]>(type: "BLOB", nullable: true),
                    ChildsVoice = table.Column<byte[]>(type: "BLOB", nullable: true),
                    Outcomes = table.Column<byte[]>(type: "BLOB", nullable: true),
                    Practitioners = table.Column<byte[]>(type: "BLOB", nullable: true),
                    AgenciesInvolved = table.Column<string>(type: "TEXT", nullable: false),
                    ReviewDueAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LeadPractitioner = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    SourceReference = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    OwningAgency = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    OwningOrganisation = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    DataClass = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FamilyHelpPlans", x => x.Id);
                    table.ForeignKey(
                        name: "FK_FamilyHelpPlans_Agencies_OwningAgency",
                        column: x => x.OwningAgency,
                        principalTable: "Agencies",
                        principalColumn: "Code",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_FamilyHelpPlans_People_PersonId",
                        column: x => x.PersonId,
                        principalTable: "People",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "FamilyHelpLeads",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    PlanId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Practitioner = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    Agency = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Organisation = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    From = table.Column<long>(type: "INTEGER", nullable: false),
                    To = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FamilyHelpLeads", x => x.Id);
                    table.ForeignKey(
                        name: "FK_FamilyHelpLeads_FamilyHelpPlans_PlanId",
                        column: x => x.PlanId,
                        principalTable: "FamilyHelpPlans",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_FamilyHelpLeads_PlanId",
                table: "FamilyHelpLeads",
                column: "PlanId");

            migrationBuilder.CreateIndex(
                name: "IX_FamilyHelpPlans_OwningAgency",
                table: "FamilyHelpPlans",
                column: "OwningAgency");

            migrationBuilder.CreateIndex(
                name: "IX_FamilyHelpPlans_OwningOrganisation_SourceReference",
                table: "FamilyHelpPlans",
                columns: new[] { "OwningOrganisation", "SourceReference" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_FamilyHelpPlans_PersonId",
                table: "FamilyHelpPlans",
                column: "PersonId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "FamilyHelpLeads");

            migrationBuilder.DropTable(
                name: "FamilyHelpPlans");

            migrationBuilder.DropColumn(
                name: "NotSoughtReason",
                table: "Consents");
        }
    }
}
