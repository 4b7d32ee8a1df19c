using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SharingHub.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class CaseJourney : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "ConferenceDueBy",
                table: "Enquiries",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "CoreGroupDueBy",
                table: "Enquiries",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "JointWithPolice",
                table: "Enquiries",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "PlanCategory",
                table: "Enquiries",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "PlanEndedAt",
                table: "Enquiries",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "PlanStartedAt",
                table: "Enquiries",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "PreProceedingsAt",
                table: "Enquiries",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "ReviewDueBy",
                table: "Enquiries",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "Section47StartedAt",
                table: "Enquiries",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Stage",
                table: "Enquiries",
                type: "TEXT",
                maxLength: 40,
                nullable: false,
                defaultValue: "Section47");

            migrationBuilder.AddColumn<string>(
                name: "StrategyDecision",
                table: "Enquiries",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "StrategyDecisionReasons",
                table: "Enquiries",
                type: "BLOB",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "EnquiryConferences",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    EnquiryId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    HeldAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Attendance = table.Column<string>(type: "TEXT", nullable: false),
                    Decision = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Category = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    RecordedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EnquiryConferences", x => x.Id);
                    table.ForeignKey(
                        name: "FK_EnquiryConferences_Enquiries_EnquiryId",
                        column: x => x.EnquiryId,
                        principalTable: "Enquiries",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "EnquiryCoreGroupMeetings",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    EnquiryId = table.Column<Guid>(type: "TEXT", nullable: false),
                    HeldAt = table.Column<long>(type: "INTEGER", nullable: false),
                    RecordedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EnquiryCoreGroupMeetings", x => x.Id);
                    table.ForeignKey(
                        name: "FK_EnquiryCoreGroupMeetings_Enquiries_EnquiryId",
                        column: x => x.EnquiryId,
                        principalTable: "Enquiries",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "EnquiryEmergencyActions",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    EnquiryId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    EndsAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ActingAgency = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    ActedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    RecordedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EnquiryEmergencyActions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_EnquiryEmergencyActions_Enquiries_EnquiryId",
                        column: x => x.EnquiryId,
                        principalTable: "Enquiries",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Enquiries_Status_Stage",
                table: "Enquiries",
                columns: new[] { "Status", "Stage" });

            migrationBuilder.CreateIndex(
                name: "IX_EnquiryConferences_EnquiryId",
                table: "EnquiryConferences",
                column: "EnquiryId");

            migrationBuilder.CreateIndex(
                name: "IX_EnquiryCoreGroupMeetings_EnquiryId",
                table: "EnquiryCoreGroupMeetings",
                column: "EnquiryId");

            migrationBuilder.CreateIndex(
                name: "IX_EnquiryEmergencyActions_EnquiryId",
                table: "EnquiryEmergencyActions",
                column: "EnquiryId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "EnquiryConferences");

            migrationBuilder.DropTable(
                name: "EnquiryCoreGroupMeetings");

            migrationBuilder.DropTable(
                name: "EnquiryEmergencyActions");

            migrationBuilder.DropIndex(
                name: "IX_Enquiries_Status_Stage",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "ConferenceDueBy",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "CoreGroupDueBy",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "JointWithPolice",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "PlanCategory",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "PlanEndedAt",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "PlanStartedAt",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "PreProceedingsAt",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "ReviewDueBy",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "Section47StartedAt",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "Stage",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "StrategyDecision",
                table: "Enquiries");

            migrationBuilder.DropColumn(
                name: "StrategyDecisionReasons",
                table: "Enquiries");
        }
    }
}
