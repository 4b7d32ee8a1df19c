using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SharingHub.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class MemberCaseIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_EnquiryMembers_Agency_UserSubject",
                table: "EnquiryMembers");

            migrationBuilder.CreateIndex(
                name: "IX_EnquiryMembers_Agency_UserSubject_EnquiryId",
                table: "EnquiryMembers",
                columns: new[] { "Agency", "UserSubject", "EnquiryId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_EnquiryMembers_Agency_UserSubject_EnquiryId",
                table: "EnquiryMembers");

            migrationBuilder.CreateIndex(
                name: "IX_EnquiryMembers_Agency_UserSubject",
                table: "EnquiryMembers",
                columns: new[] { "Agency", "UserSubject" });
        }
    }
}
